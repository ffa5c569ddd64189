package gateway

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestDecodeFast(t *testing.T) {
	type named string
	tests := []struct {
		name  string
		into  any
		raw   string
		atts  [][]byte
		fast  bool
		value any
	}{
		{"raw message", new(json.RawMessage), `{"t":1}`, nil, true, json.RawMessage(`{"t":1}`)},
		{"raw message with attachments", new(json.RawMessage), `{"_placeholder":true,"num":0}`, [][]byte{{1}}, false, nil},
		{"plain string", new(string), `"room"`, nil, true, "room"},
		{"escaped string", new(string), `"a\"b"`, nil, false, nil},
		{"invalid utf-8", new(string), "\"\xff\"", nil, false, nil},
		{"named string type", new(named), `"x"`, nil, false, nil},
		{"number", new(int), `5`, nil, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := reflect.ValueOf(tt.into).Elem()
			raw := []byte(tt.raw)
			if got := decodeFast(tt.into, raw, tt.atts); got != tt.fast {
				t.Fatalf("decodeFast = %v, want %v", got, tt.fast)
			}
			if !tt.fast {
				return
			}
			if !reflect.DeepEqual(v.Interface(), tt.value) {
				t.Fatalf("decoded %#v, want %#v", v.Interface(), tt.value)
			}
			if rm, ok := v.Interface().(json.RawMessage); ok {
				raw[0] = 'X'
				if rm[0] == 'X' {
					t.Fatal("the RawMessage aliases the packet")
				}
			}
		})
	}
}
