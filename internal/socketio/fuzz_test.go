package socketio

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzDecoder feeds a text message followed by binary messages and checks that the decoder
// never panics, reports errors as ErrInvalidPacket, and that every decoded packet survives
// an encode/decode round trip.
func FuzzDecoder(f *testing.F) {
	for _, tc := range decodeCases() {
		var bin []byte
		if len(tc.bins) > 0 {
			bin = tc.bins[0]
		}
		f.Add([]byte(tc.text), bin, uint8(len(tc.bins)))
	}
	for _, s := range []string{`2abc["x"]`, `2{}`, `abc`, `511-["x"]`, `2["disconnect"]`, `51-["x",{"_placeholder":true,"num":1}]`} {
		f.Add([]byte(s), []byte(nil), uint8(0))
	}
	f.Fuzz(func(t *testing.T, text, bin []byte, nbins uint8) {
		var d Decoder
		p, err := d.Add(text, false)
		// Feed up to nbins attachments (a few more than declared, to test the excess).
		for i := 0; err == nil && i < int(nbins%16); i++ {
			if p != nil {
				// A complete packet followed by binary: must be refused.
				if _, err := d.Add(bin, true); !errors.Is(err, ErrInvalidPacket) {
					t.Fatalf("binary after a complete packet: %v", err)
				}
				break
			}
			p, err = d.Add(bin, true)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidPacket) {
				t.Fatalf("error %v does not match ErrInvalidPacket", err)
			}
			return
		}
		if p == nil {
			return
		}
		if !p.Type.IsBinary() && len(p.Attachments) > 0 {
			t.Fatalf("attachments on a non-binary packet: %+v", p)
		}
		enc := AppendPacket(nil, p)
		// Issue 8.1: what is accepted is relayed in text frames, which must be UTF-8.
		if !utf8.Valid(enc) {
			t.Fatalf("accepted %q, re-encoded as %q: not UTF-8", text, enc)
		}
		var d2 Decoder
		p2, err := d2.Add(enc, false)
		for i := 0; err == nil && p2 == nil && i < len(p.Attachments); i++ {
			p2, err = d2.Add(p.Attachments[i], true)
		}
		if err != nil || p2 == nil {
			t.Fatalf("re-decoding %q (from %q): %v", enc, text, err)
		}
		if !equalPacket(p, p2) {
			t.Fatalf("round trip of %q via %q: %+v != %+v", text, enc, *p, *p2)
		}
		if p.Type == Event || p.Type == BinaryEvent {
			name, args, err := SplitEvent(p.Data)
			if err != nil {
				t.Fatalf("SplitEvent of a valid event %q: %v", p.Data, err)
			}
			// The spans the decoder recorded give what scanning Data again gives.
			pname, pargs, err := p.SplitEvent(nil)
			if err != nil || pname != name || !sameRaw(pargs, args) {
				t.Fatalf("Packet.SplitEvent of %q = %q %q %v, SplitEvent = %q %q", p.Data, pname, pargs, err, name, args)
			}
			if n, err := p.EventName(); err != nil || n != name {
				t.Fatalf("EventName of %q = %q %v, want %q", p.Data, n, err, name)
			}
		}
		if _, err := ResolvePlaceholders(p.Data, p.Attachments); err != nil && p.Type.IsBinary() {
			t.Fatalf("placeholders of a valid binary packet %q: %v", p.Data, err)
		}
	})
}

func FuzzSplitArgs(f *testing.F) {
	for _, s := range []string{`[]`, `["a",1,{"b":[2]}]`, ` [ "x" , null ] `, `[1,]`, `{}`, `["\"]"]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := SplitArgs(data)
		var want []json.RawMessage
		wantErr := json.Unmarshal(data, &want) != nil || bytes.TrimSpace(data)[0] != '['
		if (err != nil) != wantErr {
			t.Fatalf("SplitArgs(%q) error %v, encoding/json error %v", data, err, wantErr)
		}
		if err != nil {
			return
		}
		if len(got) != len(want) {
			t.Fatalf("SplitArgs(%q) = %d elements, want %d", data, len(got), len(want))
		}
		for i := range got {
			// encoding/json keeps a RawMessage element byte for byte, as SplitArgs does.
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("element %d: %q, want %q", i, got[i], want[i])
			}
		}
	})
}

func FuzzResolvePlaceholders(f *testing.F) {
	f.Add([]byte(`["x",{"_placeholder":true,"num":0},{"n":[{"_placeholder":true,"num":1}]}]`), []byte{1, 2}, uint8(2))
	f.Add([]byte(`{"num":1,"_placeholder":true}`), []byte{}, uint8(2))
	f.Add([]byte(`[{"_placeholder":true,"num":0,"x":{"_placeholder":true,"num":9}}]`), []byte{3}, uint8(1))
	f.Add([]byte(`{"_placeholder":true}`), []byte{3}, uint8(1))
	f.Fuzz(func(t *testing.T, data, bin []byte, n uint8) {
		atts := make([][]byte, n%12)
		for i := range atts {
			atts[i] = append(bin, byte(i))
		}
		out, err := ResolvePlaceholders(data, atts)
		if err != nil {
			return
		}
		if len(atts) > 0 && !json.Valid(out) {
			t.Fatalf("ResolvePlaceholders(%q) = %q, not valid JSON", data, out)
		}
		// Resolving is idempotent: the output holds no placeholder any more.
		again, err := ResolvePlaceholders(out, atts)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("second pass over %q: %q, %v", out, again, err)
		}
		// DecodeValue agrees on validity.
		if _, err := DecodeValue(data, atts); err != nil && len(atts) > 0 {
			t.Fatalf("DecodeValue(%q) failed where ResolvePlaceholders succeeded: %v", data, err)
		}
	})
}

// FuzzAppendArgsRoundTrip encodes fuzzed values with binaries and decodes them back.
func FuzzAppendArgsRoundTrip(f *testing.F) {
	f.Add("name", []byte{1, 2, 3}, int64(5), true)
	f.Add("\u2028<&>\xff", []byte{}, int64(-1), false)
	f.Fuzz(func(t *testing.T, s string, b []byte, n int64, flag bool) {
		type payload struct {
			S    string         `json:"s"`
			B    []byte         `json:"b"`
			N    int64          `json:"n,string"`
			Opt  []byte         `json:"opt,omitempty"`
			Map  map[string]any `json:"map"`
			Flag bool           `json:"flag"`
		}
		in := payload{S: s, B: b, N: n, Map: map[string]any{s: b, "k": []any{b, s}}, Flag: flag}
		data, atts, err := AppendArgs(nil, []any{in, b})
		if err != nil {
			t.Fatal(err)
		}
		args, err := SplitArgs(data)
		if err != nil || len(args) != 2 {
			t.Fatalf("SplitArgs(%s): %v", data, err)
		}
		var out payload
		if err := Unmarshal(args[0], atts, &out); err != nil {
			t.Fatalf("Unmarshal(%s): %v", args[0], err)
		}
		var b2 []byte
		if err := Unmarshal(args[1], atts, &b2); err != nil {
			t.Fatal(err)
		}
		// Invalid UTF-8 is replaced on the way, as encoding/json does.
		var wantS string
		if err := json.Unmarshal(appendString(nil, s), &wantS); err != nil {
			t.Fatal(err)
		}
		if out.S != wantS || !bytes.Equal(out.B, in.B) || out.N != in.N || out.Flag != in.Flag || !bytes.Equal(b2, b) {
			t.Fatalf("round trip of %+v: %+v (data %s)", in, out, data)
		}
		wantAtts := 0
		if b != nil {
			wantAtts = 4 // B, the map's two, the second argument
			if s == "k" {
				wantAtts = 3 // the map has one key only
			}
		}
		if len(atts) != wantAtts {
			t.Fatalf("%s: %d attachments, want %d", data, len(atts), wantAtts)
		}
	})
}
