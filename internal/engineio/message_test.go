package engineio

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sockgate/sockgate/internal/eiocodec"
)

func TestOpenPacketEncoding(t *testing.T) {
	cfg := Config{PingInterval: 300 * time.Millisecond, PingTimeout: 200 * time.Millisecond}.withDefaults()
	for _, upgrade := range []bool{true, false} {
		b := appendOpenPacket(nil, "abc-_DEF", upgrade, &cfg)
		if b[0] != eiocodec.PacketOpen {
			t.Fatalf("%q does not start with 0", b)
		}
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(b[1:], &keys); err != nil {
			t.Fatal(err)
		}
		if len(keys) != 5 {
			t.Fatalf("keys %v, want exactly sid, upgrades, pingInterval, pingTimeout, maxPayload", keys)
		}
		var op eiocodec.OpenPacket
		if err := json.Unmarshal(b[1:], &op); err != nil {
			t.Fatal(err)
		}
		want := eiocodec.OpenPacket{SID: "abc-_DEF", Upgrades: []string{}, PingInterval: 300, PingTimeout: 200, MaxPayload: 1000000}
		if upgrade {
			want.Upgrades = []string{"websocket"}
		}
		if op.SID != want.SID || strings.Join(op.Upgrades, ",") != strings.Join(want.Upgrades, ",") ||
			op.Upgrades == nil || op.PingInterval != want.PingInterval || op.PingTimeout != want.PingTimeout ||
			op.MaxPayload != want.MaxPayload {
			t.Fatalf("open packet %+v, want %+v", op, want)
		}
	}
}

func TestErrorBodies(t *testing.T) {
	for code, msg := range errorMessages {
		var eb ErrorBody
		if err := json.Unmarshal(errorBodies[code], &eb); err != nil {
			t.Fatal(err)
		}
		if eb.Code != code || eb.Message != msg {
			t.Errorf("body %s, want code %d message %q", errorBodies[code], code, msg)
		}
	}
}

func TestNewTextMessage(t *testing.T) {
	tests := []struct{ in, data, payload string }{
		{"4hello", "4hello", "hello"},
		{"hello", "4hello", "hello"},
		{"", "4", ""},
		{"44x", "44x", "4x"},
	}
	for _, tt := range tests {
		m := NewTextMessage([]byte(tt.in))
		if string(m.data) != tt.data || string(m.Data()) != tt.payload || m.Binary() {
			t.Errorf("NewTextMessage(%q): data %q payload %q", tt.in, m.data, m.Data())
		}
	}
	b := NewBinaryMessage([]byte{1, 2})
	if !b.Binary() || !bytes.Equal(b.Data(), []byte{1, 2}) || string(b.appendPolling(nil)) != "bAQI=" {
		t.Errorf("binary message %+v", b)
	}
	if b.pollingLen() != len(b.appendPolling(nil)) {
		t.Errorf("pollingLen %d, encoded %d", b.pollingLen(), len(b.appendPolling(nil)))
	}
}

func TestQueryValue(t *testing.T) {
	raw := "EIO=4&transport=polling&t=abc&sid=AB-_cd&x=a%20b&y=1+2&EIO=3&bad=%zz"
	tests := map[string]string{
		"EIO": "4", "transport": "polling", "t": "abc", "sid": "AB-_cd",
		"x": "a b", "y": "1 2", "missing": "", "bad": "",
	}
	for k, want := range tests {
		if got := queryValue(raw, k); got != want {
			t.Errorf("queryValue(%q) = %q, want %q", k, got, want)
		}
	}
}
