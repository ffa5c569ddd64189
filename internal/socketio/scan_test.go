package socketio

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// The scanner refuses invalid UTF-8 in strings, which encoding/json lets through: the
// bytes would be relayed inside text frames that clients must refuse.
func TestScannerRefusesInvalidUTF8(t *testing.T) {
	for _, in := range []string{"\"\xff\xfe\"", "[\"message\",{\"text\":\"a\xff\"}]", "{\"\xc3\":1}", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\""} {
		if scanValid([]byte(in)) {
			t.Errorf("scan(%q) accepted", in)
		}
	}
	for _, in := range []string{"\"\xc3\xa9\u2028\"", "\"\xf0\x9f\x98\x80\"", `"\ud800"`} {
		if !scanValid([]byte(in)) {
			t.Errorf("scan(%q) refused", in)
		}
	}
}

// validText is what the scanner accepts: JSON (json.Valid) that is also valid UTF-8.
// Outside strings any byte above 0x7f is invalid JSON already.
func validText(b []byte) bool { return json.Valid(b) && utf8.Valid(b) }

func scanValid(b []byte) bool {
	s := scanner{data: b}
	_, err := s.top()
	return err == nil
}

func TestScannerMatchesValid(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	for _, in := range []string{
		``, ` `, `1`, `-`, `-0`, `-01`, `01`, `1.`, `1.5`, `.5`, `1e`, `1e+`, `1E-5`, `1e5x`, `tru`, `true`, `truex`, `nul`,
		`null`, `"`, `"\`, `"\u12"`, `"\u12g4"`, `"\u1234"`, `"\x"`, "\"\x1f\"", "\"\x7f\"", "\"\xff\"",
		"\"\xff\xfe\"", "[\"ok\",\"a\xc3\"]", "\"\xc3\xa9\"", "\"\xed\xa0\x80\"", "\"\xf0\x9f\x98\x80\"", "\"\xf0\x9f\x98\"", `"\ud800"`,
		`[`, `[]`, `[,]`, `[1,]`, `[1 2]`, `{}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{1:1}`, `{"a":1 "b":2}`,
		` {"a" : [ 1 , {"b":null} ] } `, "\t[\n]\r", `[]]`, `{}}`, `"a" "b"`, deep(maxDepth), deep(maxDepth + 1),
		`{"a":` + deep(maxDepth-1) + `}`, `{"a":` + deep(maxDepth) + `}`,
	} {
		if got, want := scanValid([]byte(in)), validText([]byte(in)); got != want {
			t.Errorf("scan(%.40q) = %v, want %v", in, got, want)
		}
	}
}

func FuzzScanner(f *testing.F) {
	for _, s := range []string{`["message",{"id":"1","text":"hello"}]`, `{"a":[1,2.5e-3,true,null]}`, `"\u00e9"`, `[1,]`, `-0.0E+1`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := scanValid(b), validText(b); got != want {
			t.Fatalf("scan(%q) = %v, want %v", b, got, want)
		}
	})
}

func TestDecoderRefusesInvalidUTF8(t *testing.T) {
	for _, in := range []string{"0/ch\xff,", "2/chat,[\"message\",\"\xff\xfe\"]", "2[\"typing\",\"\xc3\"]", "21[\"\xff\"]"} {
		var d Decoder
		if p, err := d.Add([]byte(in), false); !errors.Is(err, ErrInvalidPacket) {
			t.Errorf("Add(%q) = %+v, %v; want ErrInvalidPacket", in, p, err)
		}
	}
}
