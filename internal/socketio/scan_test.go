package socketio

import (
	"encoding/json"
	"strings"
	"testing"
)

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
		`[`, `[]`, `[,]`, `[1,]`, `[1 2]`, `{}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{1:1}`, `{"a":1 "b":2}`,
		` {"a" : [ 1 , {"b":null} ] } `, "\t[\n]\r", `[]]`, `{}}`, `"a" "b"`, deep(maxDepth), deep(maxDepth + 1),
		`{"a":` + deep(maxDepth-1) + `}`, `{"a":` + deep(maxDepth) + `}`,
	} {
		if got, want := scanValid([]byte(in)), json.Valid([]byte(in)); got != want {
			t.Errorf("scan(%.40q) = %v, json.Valid = %v", in, got, want)
		}
	}
}

func FuzzScanner(f *testing.F) {
	for _, s := range []string{`["message",{"id":"1","text":"hello"}]`, `{"a":[1,2.5e-3,true,null]}`, `"\u00e9"`, `[1,]`, `-0.0E+1`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := scanValid(b), json.Valid(b); got != want {
			t.Fatalf("scan(%q) = %v, json.Valid = %v", b, got, want)
		}
	})
}
