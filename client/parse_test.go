package client

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestParseOpen(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want handshake
		err  bool
	}{
		{
			name: "polling",
			in:   `{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`,
			want: handshake{sid: "abc", upgrades: []string{"websocket"}, pingInterval: 25 * time.Second, pingTimeout: 20 * time.Second, maxPayload: 1000000},
		},
		{
			name: "websocket, unknown keys ignored",
			in:   `{"sid":"x","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1,"extra":true}`,
			want: handshake{sid: "x", upgrades: []string{}, pingInterval: 300 * time.Millisecond, pingTimeout: 200 * time.Millisecond, maxPayload: 1},
		},
		{name: "no maxPayload", in: `{"sid":"x","pingInterval":1,"pingTimeout":1}`, want: handshake{sid: "x", pingInterval: time.Millisecond, pingTimeout: time.Millisecond}},
		{name: "no sid", in: `{"pingInterval":1,"pingTimeout":1}`, err: true},
		{name: "zero interval", in: `{"sid":"x","pingInterval":0,"pingTimeout":1}`, err: true},
		{name: "negative timeout", in: `{"sid":"x","pingInterval":1,"pingTimeout":-5}`, err: true},
		{name: "huge interval", in: `{"sid":"x","pingInterval":9223372036854775807,"pingTimeout":1}`, err: true},
		{name: "negative maxPayload", in: `{"sid":"x","pingInterval":1,"pingTimeout":1,"maxPayload":-1}`, err: true},
		{name: "sid not a string", in: `{"sid":1,"pingInterval":1,"pingTimeout":1}`, err: true},
		{name: "not an object", in: `[1]`, err: true},
		{name: "truncated", in: `{"sid":"x"`, err: true},
		{name: "empty", in: ``, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseOpen([]byte(tt.in))
			if tt.err {
				if !errors.Is(err, ErrProtocol) {
					t.Fatalf("err %v, want ErrProtocol", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.sid != tt.want.sid || got.pingInterval != tt.want.pingInterval || got.pingTimeout != tt.want.pingTimeout ||
				got.maxPayload != tt.want.maxPayload || len(got.upgrades) != len(tt.want.upgrades) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseConnect(t *testing.T) {
	tests := []struct {
		in   string
		want connectReply
		ok   bool
	}{
		{`{"sid":"a1"}`, connectReply{SID: "a1"}, true},
		{`{"sid":"a1","pid":"p"}`, connectReply{SID: "a1", PID: "p"}, true},
		{`{"sid":"a1","pid":7}`, connectReply{SID: "a1"}, true},
		{`{"pid":"p","sid":"a\u00e91"}`, connectReply{SID: "aé1", PID: "p"}, true},
		{`{"sid":"a","sid":"b"}`, connectReply{SID: "b"}, true},
		{`{ "sid" : "a1" }`, connectReply{SID: "a1"}, true},
		{`{"sid":"a1"}x`, connectReply{}, false},
		{`{"sid":"a1",}`, connectReply{}, false},
		{`{"sid":""}`, connectReply{}, false},
		{`{"sid":5}`, connectReply{}, false},
		{`{}`, connectReply{}, false},
		{``, connectReply{}, false},
		{`"sid"`, connectReply{}, false},
	}
	for _, tt := range tests {
		got, ok := parseConnect([]byte(tt.in))
		if ok != tt.ok || got != tt.want {
			t.Errorf("parseConnect(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseConnectError(t *testing.T) {
	tests := []struct {
		in      string
		message string
		data    string
	}{
		{`{"message":"not authorized","data":{"reason":"token"}}`, "not authorized", `{"reason":"token"}`},
		{`{"message":"Invalid namespace"}`, "Invalid namespace", ``},
		{`"v2 style"`, "v2 style", ``},
		{`{"message":42}`, "42", ``},
		{`{"data":[1]}`, "", `[1]`},
		{`not json`, "invalid CONNECT_ERROR packet", ``},
	}
	for _, tt := range tests {
		got := parseConnectError([]byte(tt.in))
		if got.Message != tt.message || string(got.Data) != tt.data {
			t.Errorf("parseConnectError(%q) = %q %s; want %q %s", tt.in, got.Message, got.Data, tt.message, tt.data)
		}
	}
}

func TestAppendConnectData(t *testing.T) {
	tests := []struct {
		auth, pid, offset string
		want              string
	}{
		{``, ``, ``, ``},
		{`{"token":"x"}`, ``, ``, `{"token":"x"}`},
		{``, `p1`, `o1`, `{"pid":"p1","offset":"o1"}`},
		{`{}`, `p1`, `o1`, `{"pid":"p1","offset":"o1"}`},
		{`{"token":"x"}`, `p"1`, ``, `{"pid":"p\"1","offset":"","token":"x"}`},
	}
	for _, tt := range tests {
		got := string(appendConnectData(nil, []byte(tt.auth), tt.pid, tt.offset))
		if got != tt.want {
			t.Errorf("appendConnectData(%s, %q, %q) = %s, want %s", tt.auth, tt.pid, tt.offset, got, tt.want)
		}
		if got != "" && !json.Valid([]byte(got)) {
			t.Errorf("invalid JSON %s", got)
		}
	}
}

func TestEncodeAuth(t *testing.T) {
	tests := []struct {
		in   any
		want string
		err  bool
	}{
		{map[string]string{"token": "<a&b>"}, `{"token":"<a&b>"}`, false},
		{struct {
			User string `json:"user"`
		}{"u"}, `{"user":"u"}`, false},
		{nil, ``, false},
		{"token", ``, true},
		{[]int{1}, ``, true},
		{func() {}, ``, true},
	}
	for _, tt := range tests {
		got, err := encodeAuth(tt.in)
		if (err != nil) != tt.err || string(got) != tt.want {
			t.Errorf("encodeAuth(%v) = %s, %v; want %s, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

// FuzzParseServerData feeds the parsers of what the server sends that the shared codecs
// leave as raw JSON: the open packet, the CONNECT reply and CONNECT_ERROR.
func FuzzParseServerData(f *testing.F) {
	for _, s := range []string{
		`{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`,
		`{"sid":"a1","pid":"p"}`,
		`{"message":"not authorized","data":{"reason":"token"}}`,
		`"v2"`, `{}`, `[]`, `null`, `{"sid":1e400}`, `{"pingInterval":-1}`, "\x00",
		`{"sid":"a","pid":"b","x":"c"}`, `{"sid":"a\"b"}`, `{"a":"b","sid":"c"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if hs, err := parseOpen(data); err == nil {
			if hs.sid == "" || hs.pingInterval <= 0 || hs.pingTimeout <= 0 || hs.pingInterval+hs.pingTimeout <= 0 || hs.maxPayload < 0 {
				t.Fatalf("accepted an invalid handshake %+v", hs)
			}
		} else if !errors.Is(err, ErrProtocol) {
			t.Fatalf("error %v does not match ErrProtocol", err)
		}
		if r, ok := parseConnect(data); ok && r.SID == "" {
			t.Fatal("accepted a CONNECT reply without sid")
		}
		// The fast path agrees with encoding/json whenever it answers.
		if r, ok := parseFlatStrings(data); ok {
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatalf("fast path accepted invalid JSON %q: %v", data, err)
			}
			sid, _ := m["sid"].(string)
			pid, _ := m["pid"].(string)
			if r.SID != sid || r.PID != pid {
				t.Fatalf("fast path read %+v from %q, encoding/json sid %q pid %q", r, data, sid, pid)
			}
		}
		if ce := parseConnectError(data); ce == nil {
			t.Fatal("nil ConnectError")
		} else if ce.Data != nil && !json.Valid(ce.Data) {
			t.Fatalf("invalid data %q", ce.Data)
		}
	})
}
