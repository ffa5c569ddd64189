package payload

import (
	"encoding/json"
	"testing"
)

func TestArgs(t *testing.T) {
	a := NewArgs([]json.RawMessage{json.RawMessage(`1`), json.RawMessage(`{"_placeholder":true,"num":0}`), json.RawMessage(`{"b":{"_placeholder":true,"num":1}}`)}, [][]byte{{1}, {2, 3}})
	var (
		n   int
		b   []byte
		obj struct{ B []byte }
	)
	if err := a.Scan(&n, &b, &obj); err != nil || n != 1 || string(b) != "\x01" || string(obj.B) != "\x02\x03" {
		t.Fatalf("Scan: %v %v %v %v", err, n, b, obj)
	}
	if err := a.Scan(nil, nil, nil, &n); err == nil {
		t.Fatal("Scan past the arguments succeeded")
	}
	if v, err := a.Value(1); err != nil || string(v.([]byte)) != "\x01" {
		t.Fatalf("Value: %v %v", v, err)
	}
	if a.Raw(5) != nil || a.Len() != 3 {
		t.Fatal("Raw out of range")
	}
	if s := a.String(); s != `[1,{"_placeholder":true,"num":0},{"b":{"_placeholder":true,"num":1}}] <attachment 0: 1 bytes> <attachment 1: 2 bytes>` {
		t.Fatalf("String %s", s)
	}
}

func TestDecodeMissingArgument(t *testing.T) {
	var v int
	if err := (Args{}).Decode(0, &v); err == nil {
		t.Fatal("decoded a missing argument")
	}
	if _, err := (Args{}).Value(-1); err == nil {
		t.Fatal("a value for index -1")
	}
}
