package tags

import (
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sockgate/sockgate/decorators"
)

func TestScanTag(t *testing.T) {
	cases := []struct {
		tag  string
		want []tagPair
	}{
		{``, nil},
		{`   `, nil},
		{`ws:"message"`, []tagPair{{"ws", "message"}}},
		{` ws:"a"   handler:"B" `, []tagPair{{"ws", "a"}, {"handler", "B"}}},
		{`pattern:"^/dyn-\\d+$"`, []tagPair{{"pattern", `^/dyn-\d+$`}}},
		{`k:"quote \" inside" e:""`, []tagPair{{"k", `quote " inside`}, {"e", ""}}},
		{`k:"\u00e9\t"`, []tagPair{{"k", "é\t"}}},
		{`clé:"v"`, []tagPair{{"clé", "v"}}},
	}
	for _, tc := range cases {
		got, err := scanTag(reflect.StructTag(tc.tag))
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("scanTag(%q) = %q, %v; want %q", tc.tag, got, err, tc.want)
		}
	}
	bad := []struct {
		tag  string
		kind error
	}{
		{`ws`, decorators.ErrSyntax},
		{`ws:`, decorators.ErrSyntax},
		{`ws:message`, decorators.ErrSyntax},
		{`ws:'message'`, decorators.ErrSyntax},
		{`ws:"message`, decorators.ErrSyntax},
		{`ws:"message\"`, decorators.ErrSyntax},
		{`ws:"a"handler:"B"`, decorators.ErrSyntax},
		{`:"a"`, decorators.ErrSyntax},
		{`"ws":"a"`, decorators.ErrSyntax},
		{`ws :"a"`, decorators.ErrSyntax},
		{`ws: "a"`, decorators.ErrSyntax},
		{`pattern:"^\d$"`, decorators.ErrSyntax},
		{"ws:\"a\"\thandler:\"B\"", decorators.ErrSyntax},
		{"w\x01s:\"a\"", decorators.ErrSyntax},
		{`ws:"a" ws:"b"`, decorators.ErrDuplicateKey},
	}
	for _, tc := range bad {
		got, err := scanTag(reflect.StructTag(tc.tag))
		var te *decorators.TagError
		if !errors.Is(err, tc.kind) || !errors.As(err, &te) {
			t.Errorf("scanTag(%q) = %q, %v; want %v", tc.tag, got, err, tc.kind)
		}
	}
}

func TestParseGateway(t *testing.T) {
	cases := []struct {
		tag  string
		want Gateway
	}{
		{``, Gateway{Namespace: "/"}},
		{`namespace:"/"`, Gateway{Namespace: "/"}},
		{`namespace:"/chat"`, Gateway{Namespace: "/chat"}},
		{`namespace:"/chat/"`, Gateway{Namespace: "/chat/"}},
		{`namespace:"/chat" use:"jwt, audit"`, Gateway{Namespace: "/chat", Use: []string{"jwt", "audit"}}},
		{`use:"jwt" namespace:"/a"`, Gateway{Namespace: "/a", Use: []string{"jwt"}}},
		{`pattern:"^/dyn-\\d+$"`, Gateway{Namespace: `^/dyn-\d+$`, NamespacePattern: true}},
		{`pattern:"/room"`, Gateway{Namespace: `/room`, NamespacePattern: true}},
		{`namespace:"/chat" rate:"100/m,burst=10"`, Gateway{Namespace: "/chat", Rate: &decorators.Rate{Count: 100, Per: time.Minute, Burst: 10}}},
	}
	for _, tc := range cases {
		got, err := ParseGateway(reflect.StructTag(tc.tag))
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseGateway(%q) = %+v, %v; want %+v", tc.tag, got, err, tc.want)
		}
	}
	bad := []struct {
		tag, key string
		kind     error
	}{
		{`namespace:"chat"`, "namespace", decorators.ErrInvalidValue},
		{`namespace:""`, "namespace", decorators.ErrInvalidValue},
		{`namespace:"/a,b"`, "namespace", decorators.ErrInvalidValue},
		{`namespace:"/a\n"`, "namespace", decorators.ErrInvalidValue},
		{`pattern:"^/(dyn$"`, "pattern", decorators.ErrInvalidValue},
		{`pattern:""`, "pattern", decorators.ErrInvalidValue},
		{`namespace:"/a" pattern:"^/b$"`, "pattern", decorators.ErrInvalidValue},
		{`namespace:"/a" rate:"10"`, "rate", decorators.ErrInvalidValue},
		{`use:""`, "use", decorators.ErrInvalidValue},
		{`use:"a,,b"`, "use", decorators.ErrInvalidValue},
		{`use:"a,"`, "use", decorators.ErrInvalidValue},
		{`use:"a b"`, "use", decorators.ErrInvalidValue},
		{`use:"a,a"`, "use", decorators.ErrInvalidValue},
		{`namespace:"/a" ns:"/b"`, "ns", decorators.ErrUnknownKey},
		{`ws:"message"`, "ws", decorators.ErrUnknownKey},
		{`json:"-"`, "json", decorators.ErrUnknownKey},
		{`namespace:"/a" namespace:"/b"`, "namespace", decorators.ErrDuplicateKey},
		{`namespace:/a`, "namespace", decorators.ErrSyntax},
	}
	for _, tc := range bad {
		got, err := ParseGateway(reflect.StructTag(tc.tag))
		checkTagError(t, "ParseGateway", tc.tag, got, err, tc.key, tc.kind)
	}
}

func TestParseSubscribe(t *testing.T) {
	cases := []struct {
		tag  string
		want Subscribe
	}{
		{`ws:"message"`, Subscribe{Event: "message"}},
		{`ws:"join-room" handler:"Join"`, Subscribe{Event: "join-room", Handler: "Join"}},
		{`handler:"Join" ws:"join-room"`, Subscribe{Event: "join-room", Handler: "Join"}},
		{`ws:"typing" rate:"20/s"`, Subscribe{Event: "typing", Rate: &decorators.Rate{Count: 20, Per: time.Second}}},
		{`ws:"message" rate:"100/m,burst=100"`, Subscribe{Event: "message", Rate: &decorators.Rate{Count: 100, Per: time.Minute, Burst: 100}}},
		{`ws:"x" use:"a,b" rate:"5/10s" handler:"Handle_2"`,
			Subscribe{Event: "x", Handler: "Handle_2", Use: []string{"a", "b"}, Rate: &decorators.Rate{Count: 5, Per: 10 * time.Second}}},
		{`ws:"chat:message"`, Subscribe{Event: "chat:message"}},
		{`ws:"Connect"`, Subscribe{Event: "Connect"}},
		{`ws:"connection"`, Subscribe{Event: "connection"}},
		{`ws:"événement" handler:"Événement"`, Subscribe{Event: "événement", Handler: "Événement"}},
	}
	for _, tc := range cases {
		got, err := ParseSubscribe(reflect.StructTag(tc.tag))
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseSubscribe(%q) = %+v, %v; want %+v", tc.tag, got, err, tc.want)
		}
	}
	bad := []struct {
		tag, key string
		kind     error
	}{
		{``, "ws", decorators.ErrMissingKey},
		{`handler:"OnX"`, "ws", decorators.ErrMissingKey},
		{`ws:""`, "ws", decorators.ErrInvalidValue},
		{`ws:"connect"`, "ws", decorators.ErrReservedEvent},
		{`ws:"connect_error"`, "ws", decorators.ErrReservedEvent},
		{`ws:"disconnect"`, "ws", decorators.ErrReservedEvent},
		{`ws:"disconnecting"`, "ws", decorators.ErrReservedEvent},
		{`ws:"newListener"`, "ws", decorators.ErrReservedEvent},
		{`ws:"removeListener"`, "ws", decorators.ErrReservedEvent},
		{`ws:"x" handler:"onX"`, "handler", decorators.ErrInvalidValue},
		{`ws:"x" handler:"On-X"`, "handler", decorators.ErrInvalidValue},
		{`ws:"x" handler:""`, "handler", decorators.ErrInvalidValue},
		{`ws:"x" handler:"_X"`, "handler", decorators.ErrInvalidValue},
		{`ws:"x" rate:"20"`, "rate", decorators.ErrInvalidValue},
		{`ws:"x" rate:"0/s"`, "rate", decorators.ErrInvalidValue},
		{`ws:"x" use:"a,,b"`, "use", decorators.ErrInvalidValue},
		{`ws:"x" colour:"red"`, "colour", decorators.ErrUnknownKey},
		{`ws:"x" namespace:"/a"`, "namespace", decorators.ErrUnknownKey},
		{`ws:"x" ws:"y"`, "ws", decorators.ErrDuplicateKey},
		{`ws:"x" rate:20/s`, "rate", decorators.ErrSyntax},
	}
	for _, tc := range bad {
		got, err := ParseSubscribe(reflect.StructTag(tc.tag))
		checkTagError(t, "ParseSubscribe", tc.tag, got, err, tc.key, tc.kind)
	}
}

func checkTagError(t *testing.T, fn, tag string, got any, err error, key string, kind error) {
	t.Helper()
	var te *decorators.TagError
	if !errors.As(err, &te) || !errors.Is(err, kind) {
		t.Errorf("%s(%q) = %+v, %v; want a *decorators.TagError matching %v", fn, tag, got, err, kind)
		return
	}
	if te.Key != key {
		t.Errorf("%s(%q): error names key %q, want %q", fn, tag, te.Key, key)
	}
	msg := err.Error()
	if !strings.Contains(msg, key) {
		t.Errorf("%s(%q): message %q does not name the key %q", fn, tag, msg, key)
	}
	if te.Value != "" && !strings.Contains(msg, strconv.Quote(te.Value)) {
		t.Errorf("%s(%q): message %q does not show the value %q", fn, tag, msg, te.Value)
	}
}

func TestMethodName(t *testing.T) {
	cases := map[string]string{
		"message":         "OnMessage",
		"join-room":       "OnJoinRoom",
		"chat:message":    "OnChatMessage",
		"user_joinedRoom": "OnUserJoinedRoom",
		"HTTP-request":    "OnHTTPRequest",
		"room2":           "OnRoom2",
		"2fa":             "On2fa",
		"a..b--c":         "OnABC",
		"  spaced out ":   "OnSpacedOut",
		"événement":       "OnÉvénement",
		"---":             "On",
	}
	for in, want := range cases {
		if got := MethodName(in); got != want {
			t.Errorf("MethodName(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzScanTag checks the scanner against reflect.StructTag.Lookup: whatever it accepts,
// Lookup reads the same values.
func FuzzScanTag(f *testing.F) {
	for _, s := range []string{`ws:"message"`, `ws:"a" handler:"B" use:"x,y" rate:"20/s"`, `pattern:"^/d-\\d+$"`,
		`k:"\u00e9\"" e:""`, `ws:"a"handler:"B"`, `ws:"a`, `:"x"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tag := reflect.StructTag(s)
		pairs, err := scanTag(tag)
		if err != nil {
			var te *decorators.TagError
			if !errors.As(err, &te) || te.Err == nil || te.Error() == "" {
				t.Fatalf("scanTag(%q): error %v is not a complete *decorators.TagError", s, err)
			}
			return
		}
		for _, p := range pairs {
			if v, ok := tag.Lookup(p.key); !ok || v != p.value {
				t.Fatalf("scanTag(%q): %q=%q, but Lookup gives %q, %v", s, p.key, p.value, v, ok)
			}
		}
		// The parsers never panic on a tag the scanner accepts.
		ParseGateway(tag)
		ParseSubscribe(tag)
		ParseEmits(tag)
	})
}

func TestParseEmits(t *testing.T) {
	for tag, want := range map[string]string{
		`ws:"new-message"`:  "new-message",
		` ws:"chat:typing"`: "chat:typing",
		`ws:"exception"`:    "exception",
	} {
		got, err := ParseEmits(reflect.StructTag(tag))
		if err != nil || got.Event != want {
			t.Errorf("ParseEmits(%q) = %+v, %v; want event %q", tag, got, err, want)
		}
	}
	bad := []struct {
		tag, key string
		kind     error
	}{
		{``, "ws", decorators.ErrMissingKey},
		{`ws:""`, "ws", decorators.ErrInvalidValue},
		{`ws:"disconnect"`, "ws", decorators.ErrReservedEvent},
		{`ws:"a" handler:"OnA"`, "handler", decorators.ErrUnknownKey},
		{`ws:"a" ws:"b"`, "ws", decorators.ErrDuplicateKey},
		{`ws:a`, "ws", decorators.ErrSyntax},
	}
	for _, tc := range bad {
		got, err := ParseEmits(reflect.StructTag(tc.tag))
		checkTagError(t, "ParseEmits", tc.tag, got, err, tc.key, tc.kind)
	}
}

func FuzzParseEmits(f *testing.F) {
	for _, s := range []string{`ws:"message"`, `ws:""`, `ws:"connect"`, `x:"y"`, `ws:"a`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		et, err := ParseEmits(reflect.StructTag(s))
		var te *decorators.TagError
		switch {
		case err != nil && !errors.As(err, &te):
			t.Fatalf("ParseEmits(%q): %v is not a *decorators.TagError", s, err)
		case err == nil && (et.Event == "" || decorators.IsReserved(et.Event)):
			t.Fatalf("ParseEmits(%q) = %+v", s, et)
		}
	})
}
