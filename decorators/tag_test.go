package decorators

import (
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
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
		{`ws`, ErrSyntax},
		{`ws:`, ErrSyntax},
		{`ws:message`, ErrSyntax},
		{`ws:'message'`, ErrSyntax},
		{`ws:"message`, ErrSyntax},
		{`ws:"message\"`, ErrSyntax},
		{`ws:"a"handler:"B"`, ErrSyntax},
		{`:"a"`, ErrSyntax},
		{`"ws":"a"`, ErrSyntax},
		{`ws :"a"`, ErrSyntax},
		{`ws: "a"`, ErrSyntax},
		{`pattern:"^\d$"`, ErrSyntax},
		{"ws:\"a\"\thandler:\"B\"", ErrSyntax},
		{"w\x01s:\"a\"", ErrSyntax},
		{`ws:"a" ws:"b"`, ErrDuplicateKey},
	}
	for _, tc := range bad {
		got, err := scanTag(reflect.StructTag(tc.tag))
		var te *TagError
		if !errors.Is(err, tc.kind) || !errors.As(err, &te) {
			t.Errorf("scanTag(%q) = %q, %v; want %v", tc.tag, got, err, tc.kind)
		}
	}
}

func TestParseGatewayTag(t *testing.T) {
	cases := []struct {
		tag  string
		want GatewayTag
	}{
		{``, GatewayTag{Namespace: "/"}},
		{`namespace:"/"`, GatewayTag{Namespace: "/"}},
		{`namespace:"/chat"`, GatewayTag{Namespace: "/chat"}},
		{`namespace:"/chat/"`, GatewayTag{Namespace: "/chat/"}},
		{`namespace:"/chat" use:"jwt, audit"`, GatewayTag{Namespace: "/chat", Use: []string{"jwt", "audit"}}},
		{`use:"jwt" namespace:"/a"`, GatewayTag{Namespace: "/a", Use: []string{"jwt"}}},
		{`pattern:"^/dyn-\\d+$"`, GatewayTag{Namespace: `^/dyn-\d+$`, NamespacePattern: true}},
		{`pattern:"/room"`, GatewayTag{Namespace: `/room`, NamespacePattern: true}},
		{`namespace:"/chat" rate:"100/m,burst=10"`, GatewayTag{Namespace: "/chat", Rate: &Rate{Count: 100, Per: time.Minute, Burst: 10}}},
	}
	for _, tc := range cases {
		got, err := ParseGatewayTag(reflect.StructTag(tc.tag))
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseGatewayTag(%q) = %+v, %v; want %+v", tc.tag, got, err, tc.want)
		}
	}
	bad := []struct {
		tag, key string
		kind     error
	}{
		{`namespace:"chat"`, "namespace", ErrInvalidValue},
		{`namespace:""`, "namespace", ErrInvalidValue},
		{`namespace:"/a,b"`, "namespace", ErrInvalidValue},
		{`namespace:"/a\n"`, "namespace", ErrInvalidValue},
		{`pattern:"^/(dyn$"`, "pattern", ErrInvalidValue},
		{`pattern:""`, "pattern", ErrInvalidValue},
		{`namespace:"/a" pattern:"^/b$"`, "pattern", ErrInvalidValue},
		{`namespace:"/a" rate:"10"`, "rate", ErrInvalidValue},
		{`use:""`, "use", ErrInvalidValue},
		{`use:"a,,b"`, "use", ErrInvalidValue},
		{`use:"a,"`, "use", ErrInvalidValue},
		{`use:"a b"`, "use", ErrInvalidValue},
		{`use:"a,a"`, "use", ErrInvalidValue},
		{`namespace:"/a" ns:"/b"`, "ns", ErrUnknownKey},
		{`ws:"message"`, "ws", ErrUnknownKey},
		{`json:"-"`, "json", ErrUnknownKey},
		{`namespace:"/a" namespace:"/b"`, "namespace", ErrDuplicateKey},
		{`namespace:/a`, "namespace", ErrSyntax},
	}
	for _, tc := range bad {
		got, err := ParseGatewayTag(reflect.StructTag(tc.tag))
		checkTagError(t, "ParseGatewayTag", tc.tag, got, err, tc.key, tc.kind)
	}
}

func TestParseSubscribeTag(t *testing.T) {
	cases := []struct {
		tag  string
		want SubscribeTag
	}{
		{`ws:"message"`, SubscribeTag{Event: "message"}},
		{`ws:"join-room" handler:"Join"`, SubscribeTag{Event: "join-room", Handler: "Join"}},
		{`handler:"Join" ws:"join-room"`, SubscribeTag{Event: "join-room", Handler: "Join"}},
		{`ws:"typing" rate:"20/s"`, SubscribeTag{Event: "typing", Rate: &Rate{Count: 20, Per: time.Second}}},
		{`ws:"message" rate:"100/m,burst=100"`, SubscribeTag{Event: "message", Rate: &Rate{Count: 100, Per: time.Minute, Burst: 100}}},
		{`ws:"x" use:"a,b" rate:"5/10s" handler:"Handle_2"`,
			SubscribeTag{Event: "x", Handler: "Handle_2", Use: []string{"a", "b"}, Rate: &Rate{Count: 5, Per: 10 * time.Second}}},
		{`ws:"chat:message"`, SubscribeTag{Event: "chat:message"}},
		{`ws:"Connect"`, SubscribeTag{Event: "Connect"}},
		{`ws:"connection"`, SubscribeTag{Event: "connection"}},
		{`ws:"événement" handler:"Événement"`, SubscribeTag{Event: "événement", Handler: "Événement"}},
	}
	for _, tc := range cases {
		got, err := ParseSubscribeTag(reflect.StructTag(tc.tag))
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseSubscribeTag(%q) = %+v, %v; want %+v", tc.tag, got, err, tc.want)
		}
	}
	bad := []struct {
		tag, key string
		kind     error
	}{
		{``, "ws", ErrMissingKey},
		{`handler:"OnX"`, "ws", ErrMissingKey},
		{`ws:""`, "ws", ErrInvalidValue},
		{`ws:"connect"`, "ws", ErrReservedEvent},
		{`ws:"connect_error"`, "ws", ErrReservedEvent},
		{`ws:"disconnect"`, "ws", ErrReservedEvent},
		{`ws:"disconnecting"`, "ws", ErrReservedEvent},
		{`ws:"newListener"`, "ws", ErrReservedEvent},
		{`ws:"removeListener"`, "ws", ErrReservedEvent},
		{`ws:"x" handler:"onX"`, "handler", ErrInvalidValue},
		{`ws:"x" handler:"On-X"`, "handler", ErrInvalidValue},
		{`ws:"x" handler:""`, "handler", ErrInvalidValue},
		{`ws:"x" handler:"_X"`, "handler", ErrInvalidValue},
		{`ws:"x" rate:"20"`, "rate", ErrInvalidValue},
		{`ws:"x" rate:"0/s"`, "rate", ErrInvalidValue},
		{`ws:"x" use:"a,,b"`, "use", ErrInvalidValue},
		{`ws:"x" colour:"red"`, "colour", ErrUnknownKey},
		{`ws:"x" namespace:"/a"`, "namespace", ErrUnknownKey},
		{`ws:"x" ws:"y"`, "ws", ErrDuplicateKey},
		{`ws:"x" rate:20/s`, "rate", ErrSyntax},
	}
	for _, tc := range bad {
		got, err := ParseSubscribeTag(reflect.StructTag(tc.tag))
		checkTagError(t, "ParseSubscribeTag", tc.tag, got, err, tc.key, tc.kind)
	}
}

func checkTagError(t *testing.T, fn, tag string, got any, err error, key string, kind error) {
	t.Helper()
	var te *TagError
	if !errors.As(err, &te) || !errors.Is(err, kind) {
		t.Errorf("%s(%q) = %+v, %v; want a *TagError matching %v", fn, tag, got, err, kind)
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

func TestParseRate(t *testing.T) {
	cases := []struct {
		in   string
		want Rate
		str  string
	}{
		{"20/s", Rate{Count: 20, Per: time.Second}, "20/s"},
		{"100/m", Rate{Count: 100, Per: time.Minute}, "100/m"},
		{"1/h", Rate{Count: 1, Per: time.Hour}, "1/h"},
		{"50/ms", Rate{Count: 50, Per: time.Millisecond}, "50/ms"},
		{"5/10s", Rate{Count: 5, Per: 10 * time.Second}, "5/10s"},
		{"5/1s", Rate{Count: 5, Per: time.Second}, "5/s"},
		{"3/1m30s", Rate{Count: 3, Per: 90 * time.Second}, "3/1m30s"},
		{"7/250ms", Rate{Count: 7, Per: 250 * time.Millisecond}, "7/250ms"},
		{"1000000000/s", Rate{Count: 1_000_000_000, Per: time.Second}, "1000000000/s"},
		{"007/s", Rate{Count: 7, Per: time.Second}, "7/s"},
		{"100/m,burst=100", Rate{Count: 100, Per: time.Minute, Burst: 100}, "100/m,burst=100"},
		{"10/s,burst=1", Rate{Count: 10, Per: time.Second, Burst: 1}, "10/s,burst=1"},
		{"5/10s,burst=050", Rate{Count: 5, Per: 10 * time.Second, Burst: 50}, "5/10s,burst=50"},
	}
	for _, tc := range cases {
		got, err := ParseRate(tc.in)
		if err != nil || got != tc.want || got.String() != tc.str {
			t.Errorf("ParseRate(%q) = %+v (%s), %v; want %+v (%s)", tc.in, got, got, err, tc.want, tc.str)
		}
	}
	for _, bad := range []string{"", "20", "/s", "20/", "0/s", "-1/s", "+1/s", "1.5/s", "x/s", "20/x", "20/sec",
		"20/0s", "20/-1s", "20/+1s", "20/s/s", " 20/s", "20 /s", "1000000001/s", "99999999999999999999/s", "20/1",
		"20/s,", "20/s,burst", "20/s,burst=", "20/s,burst=0", "20/s,burst=-1", "20/s, burst=2", "20/s,burst=2,", "20/s,burst=2,burst=3",
		"20/s,Burst=2", "20/s,max=2", "20/s;burst=2", "20/s,burst=1000000001", ",burst=2"} {
		r, err := ParseRate(bad)
		var te *TagError
		if !errors.As(err, &te) || !errors.Is(err, ErrInvalidValue) || te.Key != "rate" || te.Value != bad {
			t.Errorf("ParseRate(%q) = %+v, %v; want an invalid-value error naming rate", bad, r, err)
		}
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

func TestIsReserved(t *testing.T) {
	for _, n := range []string{"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"} {
		if !IsReserved(n) {
			t.Errorf("%q not reserved", n)
		}
	}
	for _, n := range []string{"", "message", "connection", "Disconnect"} {
		if IsReserved(n) {
			t.Errorf("%q reserved", n)
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
			var te *TagError
			if !errors.As(err, &te) || te.Err == nil || te.Error() == "" {
				t.Fatalf("scanTag(%q): error %v is not a complete *TagError", s, err)
			}
			return
		}
		for _, p := range pairs {
			if v, ok := tag.Lookup(p.key); !ok || v != p.value {
				t.Fatalf("scanTag(%q): %q=%q, but Lookup gives %q, %v", s, p.key, p.value, v, ok)
			}
		}
		// The parsers never panic on a tag the scanner accepts.
		ParseGatewayTag(tag)
		ParseSubscribeTag(tag)
		ParseEmitsTag(tag)
	})
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"20/s", "100/m", "5/10s", "3/1m30s", "0/s", "1/0s", "20/x", "9999999999/s", "100/m,burst=100", "1/s,burst=0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidValue) {
				t.Fatalf("ParseRate(%q): %v", s, err)
			}
			return
		}
		if r.Count <= 0 || r.Per <= 0 || r.Burst < 0 || r.BurstSize() <= 0 {
			t.Fatalf("ParseRate(%q) = %+v", s, r)
		}
		back, err := ParseRate(r.String())
		if err != nil || back != r {
			t.Fatalf("ParseRate(%q) = %+v; String %q parses to %+v, %v", s, r, r.String(), back, err)
		}
	})
}
