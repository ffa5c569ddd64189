package proto

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestBuilders(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"payload", AppendPayload(nil, 123, 3), `{"t":123,"p":"xxx"}`},
		{"payload no pad", AppendPayload(nil, -1, 0), `{"t":-1,"p":""}`},
		{"echo", AppendEcho(nil, 7, 5, 2), `427["echo",{"t":5,"p":"xx"}]`},
		{"bcast", AppendBcast(nil, "r1k", 9, 1), `42["bcast","r1k",{"t":9,"p":"x"}]`},
		{"message", AppendMessageEvent(nil, []byte(`{"t":1}`)), `42["m",{"t":1}]`},
		{"open ws", AppendOpen(nil, "abc", false, 25000, 20000, 1000000),
			`0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`},
		{"open polling", AppendOpen(nil, "abc", true, 1, 2, 3),
			`0{"sid":"abc","upgrades":["websocket"],"pingInterval":1,"pingTimeout":2,"maxPayload":3}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if string(tt.got) != tt.want {
				t.Fatalf("got %s, want %s", tt.got, tt.want)
			}
		})
	}
	// The payload is valid JSON with the documented shape.
	var p struct {
		T int64  `json:"t"`
		P string `json:"p"`
	}
	if err := json.Unmarshal(AppendPayload(nil, 42, 64), &p); err != nil || p.T != 42 || len(p.P) != 64 {
		t.Fatalf("payload decodes to %+v, %v", p, err)
	}
}

func TestScanT(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{`42["m",{"t":1700000000123456789,"p":"xx"}]`, 1700000000123456789, true},
		{`43[{"t":5,"p":""}]`, 5, true},
		{`{"t":-3}`, -3, true},
		{`{"t":}`, 0, false},
		{`{"x":1}`, 0, false},
		{``, 0, false},
		{`"t":`, 0, false},
	}
	for _, tt := range tests {
		got, ok := ScanT([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("ScanT(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseAck(t *testing.T) {
	tests := []struct {
		in   string
		id   uint64
		args string
		ok   bool
	}{
		{`4312[{"t":1}]`, 12, `[{"t":1}]`, true},
		{`430[]`, 0, `[]`, true},
		{`43[1]`, 0, ``, false},   // no id
		{`4312`, 0, ``, false},    // no arguments
		{`4212[1]`, 0, ``, false}, // an event
		{`43123456789012345678901[1]`, 0, ``, false},
		{``, 0, ``, false},
	}
	for _, tt := range tests {
		id, args, ok := ParseAck([]byte(tt.in))
		if id != tt.id || string(args) != tt.args || ok != tt.ok {
			t.Errorf("ParseAck(%q) = %d, %q, %v; want %d, %q, %v", tt.in, id, args, ok, tt.id, tt.args, tt.ok)
		}
	}
}

func TestParseEvent(t *testing.T) {
	tests := []struct {
		in             string
		id, name, args string
		ok             bool
	}{
		{`427["echo",{"t":1}]`, "7", "echo", `{"t":1}`, true},
		{`42["bcast","r1k",{"t":1,"p":"x"}]`, "", "bcast", `"r1k",{"t":1,"p":"x"}`, true},
		{`42["ping"]`, "", "ping", ``, true},
		{`42["a\"b",1]`, "", `a\"b`, `1`, true},
		{`42["echo"x]`, "", "", "", false},
		{`42["echo`, "", "", "", false},
		{`42[1,2]`, "", "", "", false},
		{`43["x"]`, "", "", "", false},
		{`42/nsp,["x"]`, "", "", "", false},
		{`42`, "", "", "", false},
	}
	for _, tt := range tests {
		ev, ok := ParseEvent([]byte(tt.in))
		if ok != tt.ok || string(ev.ID) != tt.id || string(ev.Name) != tt.name || string(ev.Args) != tt.args {
			t.Errorf("ParseEvent(%q) = {id %q name %q args %q}, %v; want {%q %q %q}, %v",
				tt.in, ev.ID, ev.Name, ev.Args, ok, tt.id, tt.name, tt.args, tt.ok)
		}
	}
	ev, _ := ParseEvent([]byte(`4231["echo",{"t":1}]`))
	if got := AppendAckFor(nil, ev); string(got) != `4331[{"t":1}]` {
		t.Fatalf("AppendAckFor = %s", got)
	}
}

func TestIsEvent(t *testing.T) {
	for in, want := range map[string]bool{
		`42["m",{"t":1}]`:   true,
		`421["m",1]`:        true,
		`42["mm",1]`:        false,
		`42[`:               false,
		`43["m"]`:           false,
		`42["m"`:            true,
		`42/chat,["m",{}]`:  false,
		`4["m"]`:            false,
		`42["exception",1]`: false,
	} {
		if got := IsEvent([]byte(in), "m"); got != want {
			t.Errorf("IsEvent(%q, m) = %v", in, got)
		}
	}
}

func TestSplitFirstString(t *testing.T) {
	s, rest, ok := SplitFirstString([]byte(`"r5k",{"t":1}`))
	if !ok || string(s) != "r5k" || string(rest) != `{"t":1}` {
		t.Fatalf("got %q %q %v", s, rest, ok)
	}
	for _, in := range []string{``, `"`, `"a\"b",1`, `1,2`, `"a"x`} {
		if _, _, ok := SplitFirstString([]byte(in)); ok {
			t.Errorf("SplitFirstString(%q) accepted", in)
		}
	}
	if s, rest, ok := SplitFirstString([]byte(`"only"`)); !ok || string(s) != "only" || len(rest) != 0 {
		t.Errorf("single string: %q %q %v", s, rest, ok)
	}
}

func TestParseOpen(t *testing.T) {
	o, err := ParseOpen(AppendOpen(nil, "sid1", true, 25000, 20000, 1e6))
	if err != nil || o.SID != "sid1" || o.PingInterval != 25000 || len(o.Upgrades) != 1 {
		t.Fatalf("ParseOpen = %+v, %v", o, err)
	}
	for _, in := range []string{``, `1{}`, `0{`, `0{"sid":""}`, `0[]`} {
		if _, err := ParseOpen([]byte(in)); err == nil {
			t.Errorf("ParseOpen(%q) accepted", in)
		}
	}
}

func TestConnectFrames(t *testing.T) {
	if !IsConnectReply([]byte(`40{"sid":"x"}`)) || IsConnectReply([]byte(`40`)) || IsConnectReply([]byte(`44{}`)) {
		t.Fatal("IsConnectReply")
	}
	if !IsConnectError([]byte(`44{"message":"no"}`)) || IsConnectError([]byte(`40{}`)) {
		t.Fatal("IsConnectError")
	}
}

func TestSplitPayload(t *testing.T) {
	var got []string
	SplitPayload([]byte("40{\"sid\":\"a\"}\x1e2\x1e"), func(p []byte) { got = append(got, string(p)) })
	if strings.Join(got, "|") != `40{"sid":"a"}|2` {
		t.Fatalf("got %q", got)
	}
	got = nil
	SplitPayload(nil, func(p []byte) { got = append(got, string(p)) })
	if len(got) != 0 {
		t.Fatalf("empty payload gave %q", got)
	}
}

func FuzzScanners(f *testing.F) {
	for _, s := range []string{
		`427["echo",{"t":1,"p":"x"}]`, `4312[{"t":1}]`, `42["bcast","r1k",{"t":1}]`,
		`42["a\"b",1]`, `43`, `42["`, `0{"sid":"x"}`, "40{}\x1e2",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ScanT(b)
		if id, args, ok := ParseAck(b); ok && (len(args) == 0 || args[0] != '[') {
			t.Fatalf("ParseAck(%q) = %d, %q", b, id, args)
		}
		IsEvent(b, "m")
		IsConnectReply(b)
		if ev, ok := ParseEvent(b); ok {
			if !bytes.HasPrefix(ev.Frame, []byte("42")) {
				t.Fatalf("ParseEvent accepted %q", b)
			}
			ack := AppendAckFor(nil, ev)
			if _, _, ok := ParseAck(ack); !ok && len(ev.ID) > 0 && len(ev.ID) < 19 {
				t.Fatalf("ack %q of %q does not parse", ack, b)
			}
			SplitFirstString(ev.Args)
		}
		_, _ = ParseOpen(b)
		SplitPayload(b, func([]byte) {})
	})
}
