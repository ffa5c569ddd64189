package decorators

import (
	"encoding/json"
	"reflect"
	"testing"
)

type emitsPayloadMessage struct {
	Text string `json:"text"`
}

func TestEmitsPayload(t *testing.T) {
	cases := []struct {
		t    reflect.Type
		want reflect.Type
	}{
		{reflect.TypeFor[Emits[emitsPayloadMessage]](), reflect.TypeFor[emitsPayloadMessage]()},
		{reflect.TypeFor[Emits[string]](), reflect.TypeFor[string]()},
		{reflect.TypeFor[Emits[*emitsPayloadMessage]](), reflect.TypeFor[*emitsPayloadMessage]()},
		{reflect.TypeFor[Emits[[]json.RawMessage]](), reflect.TypeFor[[]json.RawMessage]()},
		{reflect.TypeFor[Emits[any]](), reflect.TypeFor[any]()},
	}
	for _, tc := range cases {
		got, ok := EmitsPayload(tc.t)
		if !ok || got != tc.want {
			t.Errorf("EmitsPayload(%v) = %v, %v; want %v", tc.t, got, ok, tc.want)
		}
	}
	type local struct{ Emits[string] } // embeds the marker: not itself an Emits type
	for _, not := range []reflect.Type{nil, reflect.TypeFor[Subscribe](), reflect.TypeFor[Gateway](),
		reflect.TypeFor[local](), reflect.TypeFor[*Emits[string]](), reflect.TypeFor[string]()} {
		if got, ok := EmitsPayload(not); ok {
			t.Errorf("EmitsPayload(%v) = %v, true; want false", not, got)
		}
	}
}
