package adapter

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func TestWithOffset(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{`["e"]`, `["e","o1"]`},
		{`["e",1,{"a":[2]}]`, `["e",1,{"a":[2]},"o1"]`},
		{`["e" ] `, `["e","o1"]`},
		{`[]`, `["o1"]`},
		{`[ ]`, `["o1"]`},
		{`{"not":"an array"}`, `{"not":"an array"}`},
		{` ]`, ` ]`},
		{``, ``},
	} {
		p := &Packet{Namespace: "/", Data: json.RawMessage(tc.data)}
		q := p.WithOffset("o1")
		if string(q.Data) != tc.want {
			t.Errorf("WithOffset(%q) = %q, want %q", tc.data, q.Data, tc.want)
		}
		if string(p.Data) != tc.data {
			t.Errorf("WithOffset modified its packet: %q", p.Data)
		}
	}
}

// FuzzWithOffset: any payload (packets may come from other nodes) gives either the packet
// itself or valid JSON ending with the offset, never a panic.
func FuzzWithOffset(f *testing.F) {
	for _, s := range []string{`["e"]`, `[]`, ` ]`, `["e",{"x":"]"}]`, `[1,2`, ``} {
		f.Add(s, "o1")
	}
	f.Fuzz(func(t *testing.T, data, offset string) {
		if !utf8.ValidString(offset) {
			return // offsets are issued by adapters: ids and numbers
		}
		p := &Packet{Namespace: "/", Data: json.RawMessage(data)}
		q := p.WithOffset(offset)
		if q == p || !json.Valid(p.Data) {
			return
		}
		var arr []json.RawMessage
		if err := json.Unmarshal(q.Data, &arr); err != nil || len(arr) == 0 {
			t.Fatalf("WithOffset(%q, %q) = %q: not an array", data, offset, q.Data)
		}
		var got string
		if json.Unmarshal(arr[len(arr)-1], &got) != nil || got != offset || q.Offset != offset {
			t.Fatalf("WithOffset(%q, %q) = %q: last argument is not the offset", data, offset, q.Data)
		}
	})
}

// FuzzParseOffset: the offset a client presents is accepted only in the form this log
// issues, which formats back to the same string.
func FuzzParseOffset(f *testing.F) {
	r := newRecovery(Recovery{MaxDisconnectionDuration: 1})
	for _, s := range []string{r.offset(1), r.offset(123456), r.epoch, r.epoch + "0", r.epoch + "01", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, off string) {
		seq, ok := r.parseOffset(off)
		if ok && r.offset(seq) != off {
			t.Fatalf("parseOffset(%q) = %d, which formats as %q", off, seq, r.offset(seq))
		}
	})
}
