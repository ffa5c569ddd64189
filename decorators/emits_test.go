package decorators

import (
	"encoding/json"
	"errors"
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

func TestParseEmitsTag(t *testing.T) {
	for tag, want := range map[string]string{
		`ws:"new-message"`:  "new-message",
		` ws:"chat:typing"`: "chat:typing",
		`ws:"exception"`:    "exception",
	} {
		got, err := ParseEmitsTag(reflect.StructTag(tag))
		if err != nil || got.Event != want {
			t.Errorf("ParseEmitsTag(%q) = %+v, %v; want event %q", tag, got, err, want)
		}
	}
	bad := []struct {
		tag, key string
		kind     error
	}{
		{``, "ws", ErrMissingKey},
		{`ws:""`, "ws", ErrInvalidValue},
		{`ws:"disconnect"`, "ws", ErrReservedEvent},
		{`ws:"a" handler:"OnA"`, "handler", ErrUnknownKey},
		{`ws:"a" ws:"b"`, "ws", ErrDuplicateKey},
		{`ws:a`, "ws", ErrSyntax},
	}
	for _, tc := range bad {
		got, err := ParseEmitsTag(reflect.StructTag(tc.tag))
		checkTagError(t, "ParseEmitsTag", tc.tag, got, err, tc.key, tc.kind)
	}
}

func FuzzParseEmitsTag(f *testing.F) {
	for _, s := range []string{`ws:"message"`, `ws:""`, `ws:"connect"`, `x:"y"`, `ws:"a`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		et, err := ParseEmitsTag(reflect.StructTag(s))
		var te *TagError
		switch {
		case err != nil && !errors.As(err, &te):
			t.Fatalf("ParseEmitsTag(%q): %v is not a *TagError", s, err)
		case err == nil && (et.Event == "" || IsReserved(et.Event)):
			t.Fatalf("ParseEmitsTag(%q) = %+v", s, et)
		}
	})
}
