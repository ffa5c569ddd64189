package socketio

import (
	"encoding/json"
	"testing"
)

var benchEvent = []byte(`2["message",{"id":"1","text":"hello"}]`)

func BenchmarkDecodeEvent(b *testing.B) {
	var d Decoder
	b.ReportAllocs()
	b.SetBytes(int64(len(benchEvent)))
	for b.Loop() {
		p, err := d.Add(benchEvent, false)
		if err != nil || p == nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeEventAndArgs(b *testing.B) {
	var d Decoder
	args := make([]json.RawMessage, 0, 4)
	b.ReportAllocs()
	for b.Loop() {
		p, err := d.Add(benchEvent, false)
		if err != nil {
			b.Fatal(err)
		}
		if args, err = AppendSplitArgs(args[:0], p.Data); err != nil {
			b.Fatal(err)
		}
		var m message
		if err := Unmarshal(args[1], p.Attachments, &m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeBinaryEvent(b *testing.B) {
	var d Decoder
	head := []byte(`52-["message",` + ph0 + `,` + ph1 + `]`)
	a0, a1 := []byte{1, 2, 3}, []byte{4, 5, 6}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Add(head, false); err != nil {
			b.Fatal(err)
		}
		d.Add(a0, true)
		if p, err := d.Add(a1, true); err != nil || p == nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeEventStruct(b *testing.B) {
	buf := make([]byte, 0, 256)
	args := []any{message{ID: "1", Text: "hello"}}
	b.ReportAllocs()
	for b.Loop() {
		out, _, err := AppendEventPacket(append(buf[:0], '4'), "/", NoID, "message", args)
		if err != nil {
			b.Fatal(err)
		}
		buf = out
	}
}

func BenchmarkAppendEventStruct(b *testing.B) {
	buf := make([]byte, 0, 256)
	args := []any{message{ID: "1", Text: "hello"}}
	b.ReportAllocs()
	for b.Loop() {
		out, _, err := AppendEvent(buf[:0], "message", args)
		if err != nil {
			b.Fatal(err)
		}
		buf = out
	}
}

func BenchmarkAppendEventRaw(b *testing.B) {
	buf := make([]byte, 0, 256)
	args := []any{json.RawMessage(`{"id":"1","text":"hello"}`)}
	b.ReportAllocs()
	for b.Loop() {
		out, _, err := AppendEvent(buf[:0], "message", args)
		if err != nil {
			b.Fatal(err)
		}
		buf = out
	}
}

func BenchmarkAppendEventBinary(b *testing.B) {
	buf := make([]byte, 0, 256)
	payload := struct {
		Name string `json:"name"`
		Data []byte `json:"data"`
	}{"file", []byte{1, 2, 3}}
	args := []any{payload}
	b.ReportAllocs()
	for b.Loop() {
		out, atts, err := AppendEvent(buf[:0], "upload", args)
		if err != nil || len(atts) != 1 {
			b.Fatal(err)
		}
		buf = out
	}
}

func BenchmarkAppendEventMap(b *testing.B) {
	buf := make([]byte, 0, 256)
	args := []any{map[string]any{"id": "1", "text": "hello", "n": 3}}
	b.ReportAllocs()
	for b.Loop() {
		out, _, err := AppendEvent(buf[:0], "message", args)
		if err != nil {
			b.Fatal(err)
		}
		buf = out
	}
}

func BenchmarkJSONMarshalReference(b *testing.B) {
	v := []any{"message", message{ID: "1", Text: "hello"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSplitEvent(b *testing.B) {
	data := benchEvent[1:]
	b.ReportAllocs()
	for b.Loop() {
		if _, args, err := SplitEvent(data); err != nil || len(args) != 1 {
			b.Fatal(err)
		}
	}
}
