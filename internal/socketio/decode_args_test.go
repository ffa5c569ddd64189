package socketio

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func TestSplitArgs(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{`[]`, nil},
		{` [ ] `, nil},
		{`["a"]`, []string{`"a"`}},
		{`["message-with-ack",1,"2",{"3":[false]}]`, []string{`"message-with-ack"`, `1`, `"2"`, `{"3":[false]}`}},
		{`[ 1 , [2, 3] ,{"a" : "]"} ,null,true,false,-1.5e3,"\"]"]`,
			[]string{`1`, `[2, 3]`, `{"a" : "]"}`, `null`, `true`, `false`, `-1.5e3`, `"\"]"`}},
	}
	for _, tc := range cases {
		got, err := SplitArgs(raw(tc.in))
		if err != nil {
			t.Errorf("SplitArgs(%s): %v", tc.in, err)
			continue
		}
		if len(got) != len(tc.want) {
			t.Errorf("SplitArgs(%s) = %q, want %q", tc.in, got, tc.want)
			continue
		}
		for i := range got {
			if string(got[i]) != tc.want[i] {
				t.Errorf("SplitArgs(%s)[%d] = %s, want %s", tc.in, i, got[i], tc.want[i])
			}
		}
	}
	for _, bad := range []string{``, `{}`, `"x"`, `1`, `[`, `[1,]`, `[1] [2]`, `[1}`, `null`} {
		if got, err := SplitArgs(raw(bad)); err == nil || !errors.Is(err, ErrInvalidPacket) {
			t.Errorf("SplitArgs(%q) = %q, %v; want an error", bad, got, err)
		}
	}
}

func TestAppendSplitArgsReuses(t *testing.T) {
	buf := make([]json.RawMessage, 0, 8)
	data := raw(`["a",1,{"b":2}]`)
	allocs := testing.AllocsPerRun(100, func() {
		out, err := AppendSplitArgs(buf[:0], data)
		if err != nil || len(out) != 3 {
			t.Fatal(out, err)
		}
	})
	if allocs != 0 {
		t.Errorf("AppendSplitArgs into a reused slice: %v allocs, want 0", allocs)
	}
}

func TestSplitEvent(t *testing.T) {
	cases := []struct {
		in, name string
		nargs    int
	}{
		{`["message",{"id":"1"}]`, "message", 1},
		{`["chat:message"]`, "chat:message", 0},
		{`["esc\u0061ped\n",1,2]`, "escaped\n", 2},
		{`[12,"x"]`, "12", 1},
	}
	for _, tc := range cases {
		name, args, err := SplitEvent(raw(tc.in))
		if err != nil || name != tc.name || len(args) != tc.nargs {
			t.Errorf("SplitEvent(%s) = %q, %d args, %v; want %q, %d", tc.in, name, len(args), err, tc.name, tc.nargs)
		}
	}
	for _, bad := range []string{`[]`, `[null]`, `[{}]`, `{}`, `["x"`} {
		if _, _, err := SplitEvent(raw(bad)); err == nil {
			t.Errorf("SplitEvent(%s): want an error", bad)
		}
	}
}

func TestResolvePlaceholders(t *testing.T) {
	atts := [][]byte{{1, 2, 3}, {4, 5, 6}, {}}
	cases := []struct{ in, want string }{
		{`["x"]`, `["x"]`},
		{ph0, `"AQID"`},
		{`["message",` + ph0 + `,` + ph1 + `]`, `["message","AQID","BAUG"]`},
		{`{"nested":[` + ph1 + `], "e" : {"_placeholder":true,"num":2}}`, `{"nested":["BAUG"], "e" : ""}`},
		{`{"num":1,"_placeholder":true}`, `"BAUG"`},
		{`{"_placeholder":false,"num":9}`, `{"_placeholder":false,"num":9}`},
		{`{"_placeholder":"true","num":9}`, `{"_placeholder":"true","num":9}`},
		{`{"_placeholder":true,"num":0,"_placeholder":false}`, `{"_placeholder":true,"num":0,"_placeholder":false}`},
		{`{"_placeholder":false,"_placeholder":true,"num":9,"num":0}`, `"AQID"`},
		{`{"_placeholde\u0072":true,"num":0}`, `"AQID"`},
		// An outer placeholder replaces its members, placeholders among them included.
		{`[{"_placeholder":true,"num":0,"x":` + ph1 + `},` + ph1 + `]`, `["AQID","BAUG"]`},
	}
	for _, tc := range cases {
		got, err := ResolvePlaceholders(raw(tc.in), atts)
		if err != nil || string(got) != tc.want {
			t.Errorf("ResolvePlaceholders(%s) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{
		`{"_placeholder":true,"num":3}`,
		`[{"_placeholder":true}]`,
		`{"_placeholder":true,"num":"0"}`,
		`{"_placeholder":true,"num":-0}`,
		`{"_placeholder":true,"num":1e0}`,
		`{"_placeholder":true,"num":0}x`,
		`[{"_placeholder":true,"num":0,"x":{"_placeholder":true,"num":7}}]`,
	} {
		if got, err := ResolvePlaceholders(raw(bad), atts); err == nil {
			t.Errorf("ResolvePlaceholders(%s) = %s, want an error", bad, got)
		}
	}
	if _, err := ResolvePlaceholders(raw(`{"_placeholder":true,"num":3}`), atts); !errors.Is(err, ErrInvalidPlaceholder) {
		t.Errorf("out of range: %v, want ErrInvalidPlaceholder", err)
	}
}

func TestResolvePlaceholdersNoCopy(t *testing.T) {
	in := raw(`["message",{"id":"1"}]`)
	for _, atts := range [][][]byte{nil, {{1}}} {
		var out json.RawMessage
		allocs := testing.AllocsPerRun(100, func() {
			var err error
			if out, err = ResolvePlaceholders(in, atts); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 || &out[0] != &in[0] {
			t.Errorf("with %d attachments and no placeholder: %v allocs, same slice %v", len(atts), allocs, &out[0] == &in[0])
		}
	}
	// Even invalid JSON comes back unchanged without attachments: there is nothing to resolve.
	if got, err := ResolvePlaceholders(raw(`{`), nil); err != nil || string(got) != `{` {
		t.Errorf("without attachments: %s %v", got, err)
	}
}

func TestUnmarshal(t *testing.T) {
	atts := [][]byte{{1, 2, 3}, {4, 5, 6}}

	var b []byte
	if err := Unmarshal(raw(ph1), atts, &b); err != nil || &b[0] != &atts[1][0] {
		t.Errorf("*[]byte from placeholder: %v %v (want the attachment itself)", b, err)
	}
	b = nil
	if err := Unmarshal(raw(`"AQID"`), atts, &b); err != nil || !bytes.Equal(b, []byte{1, 2, 3}) {
		t.Errorf("*[]byte from base64: %v %v", b, err)
	}
	if err := Unmarshal(raw(`{"_placeholder":true,"num":5}`), atts, &b); !errors.Is(err, ErrInvalidPlaceholder) {
		t.Errorf("*[]byte from bad placeholder: %v", err)
	}

	var s struct {
		Name  string   `json:"name"`
		Data  []byte   `json:"data"`
		Parts [][]byte `json:"parts"`
	}
	if err := Unmarshal(raw(`{"name":"n","data":`+ph0+`,"parts":[`+ph1+`,`+ph0+`]}`), atts, &s); err != nil {
		t.Fatal(err)
	}
	if s.Name != "n" || !bytes.Equal(s.Data, atts[0]) || len(s.Parts) != 2 || !bytes.Equal(s.Parts[0], atts[1]) {
		t.Errorf("struct: %+v", s)
	}

	var n int
	if err := Unmarshal(raw(`"x"`), nil, &n); err == nil {
		t.Error("type mismatch: want an error")
	}
	var msg message
	if err := Unmarshal(raw(`{"id":"1","text":"hello"}`), nil, &msg); err != nil || msg != (message{"1", "hello"}) {
		t.Errorf("plain struct: %+v %v", msg, err)
	}
}

func TestDecodeValue(t *testing.T) {
	atts := [][]byte{{1, 2, 3}, {4, 5, 6}}
	got, err := DecodeValue(raw(`{"a":[`+ph0+`,1,12345678901234567890],"b":`+ph1+`,"c":{"_placeholder":false}}`), atts)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"a": []any{[]byte{1, 2, 3}, json.Number("1"), json.Number("12345678901234567890")},
		"b": []byte{4, 5, 6},
		"c": map[string]any{"_placeholder": false},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DecodeValue = %#v, want %#v", got, want)
	}
	got, err = DecodeValue(raw(ph0), atts)
	if err != nil || !bytes.Equal(got.([]byte), atts[0]) {
		t.Errorf("top-level placeholder: %v %v", got, err)
	}
	// Without attachments, placeholder-looking objects stay plain data.
	got, err = DecodeValue(raw(ph0), nil)
	if _, ok := got.(map[string]any); err != nil || !ok {
		t.Errorf("without attachments: %#v %v", got, err)
	}
	for _, bad := range []string{`{`, `1 2`, `{"_placeholder":true,"num":2}`, `[{"_placeholder":true}]`} {
		if got, err := DecodeValue(raw(bad), atts); err == nil {
			t.Errorf("DecodeValue(%s) = %v, want an error", bad, got)
		}
	}
}

// TestEchoBinary is the suite's binary echo done with this package's pieces: decode, turn
// the arguments into values, emit them back.
func TestEchoBinary(t *testing.T) {
	var d Decoder
	p, err := decodeAll(t, &d, `52-789["message-with-ack",`+ph0+`,`+ph1+`]`, [][]byte{{1, 2, 3}, {4, 5, 6}})
	if err != nil {
		t.Fatal(err)
	}
	name, rawArgs, err := SplitEvent(p.Data)
	if err != nil || name != "message-with-ack" {
		t.Fatal(name, err)
	}
	args := make([]any, len(rawArgs))
	for i, r := range rawArgs {
		if args[i], err = DecodeValue(r, p.Attachments); err != nil {
			t.Fatal(err)
		}
	}
	out, atts, err := AppendAckPacket([]byte("4"), p.Namespace, p.ID, args)
	if err != nil {
		t.Fatal(err)
	}
	if want := `462-789[` + ph0 + `,` + ph1 + `]`; string(out) != want {
		t.Errorf("echo = %s, want %s", out, want)
	}
	if len(atts) != 2 || !bytes.Equal(atts[0], []byte{1, 2, 3}) || !bytes.Equal(atts[1], []byte{4, 5, 6}) {
		t.Errorf("attachments %v", atts)
	}
}

// sameRaw reports whether a and b hold the same raw elements (nil and empty alike).
func sameRaw(a, b []json.RawMessage) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// TestPacketSplitEvent: the element spans the decoder records while it validates an event
// give what scanning its data again gives, also past the recorded count, with escapes in
// the name, whitespace, a number as name and placeholders; a packet built by hand is
// scanned.
func TestPacketSplitEvent(t *testing.T) {
	for _, text := range []string{
		`2["a"]`,
		`2["echo",{"pad":"xx","t":1}]`,
		`2 [ "a" , 1 , [2, 3] ] `,
		`2["a",1,2,3]`,
		`2["a",1,2,3,4]`,
		`2["a",1,2,3,4,5,6,7,8,9]`,
		`2["a\u0062\"",null]`,
		`2[-1.5,"x"]`,
		`2/admin,12["a","b"]`,
		`51-["bin",{"_placeholder":true,"num":0},"x"]`,
	} {
		var d Decoder
		p, err := d.Add([]byte(text), false)
		if err == nil && p == nil {
			p, err = d.Add([]byte{1, 2}, true)
		}
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		name, args, err := SplitEvent(p.Data)
		if err != nil {
			t.Fatalf("%s: SplitEvent: %v", text, err)
		}
		// dst's contents are kept in front of the arguments.
		keep := json.RawMessage(`"kept"`)
		pname, pargs, err := p.SplitEvent([]json.RawMessage{keep})
		if err != nil || pname != name || len(pargs) == 0 || !bytes.Equal(pargs[0], keep) || !sameRaw(pargs[1:], args) {
			t.Errorf("%s: Packet.SplitEvent = %q %q %v, want %q %q", text, pname, pargs, err, name, args)
		}
		if n, err := p.EventName(); err != nil || n != name {
			t.Errorf("%s: EventName = %q %v, want %q", text, n, err, name)
		}
		byHand := &Packet{Type: p.Type, Namespace: p.Namespace, Data: p.Data, Attachments: p.Attachments}
		hname, hargs, err := byHand.SplitEvent(nil)
		if err != nil || hname != name || !sameRaw(hargs, args) {
			t.Errorf("%s: Packet.SplitEvent of a packet built by hand = %q %q %v, want %q %q", text, hname, hargs, err, name, args)
		}
	}
	// An event without a name is refused by both paths.
	for _, p := range []*Packet{{Type: Event, Data: json.RawMessage(`[]`)}, {Type: Event, Data: json.RawMessage(`[]`), nelems: 1}} {
		if _, _, err := p.SplitEvent(nil); !errors.Is(err, ErrInvalidPacket) {
			t.Errorf("%+v: SplitEvent error %v, want ErrInvalidPacket", p, err)
		}
	}
}
