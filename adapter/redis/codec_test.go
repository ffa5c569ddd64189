package redis

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/sockgate/sockgate/adapter"
)

// The bytes Node 8.3.0 publishes for io.to("room1").emit("r1", 1) (uid q6LdGN).
const nodeRoomBroadcast = "93a6" + "71364c64474e" + "83a474797065" + "02" + "a464617461" + "92a27231" + "01" +
	"a36e7370a12f" + "83a5726f6f6d73" + "91a5726f6f6d31" + "a6657863657074" + "90" + "a5666c616773" + "80"

func TestBroadcastBytesMatchNode(t *testing.T) {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	_ = enc.EncodeArrayLen(3)
	_ = enc.EncodeString("q6LdGN")
	p := &adapter.Packet{Namespace: "/", Data: json.RawMessage(`["r1",1]`)}
	if err := encodePacket(enc, p, "/", true); err != nil {
		t.Fatal(err)
	}
	if err := encodeOpts(enc, adapter.BroadcastOptions{Rooms: []string{"room1"}}, false, true); err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(buf.Bytes()); got != nodeRoomBroadcast {
		t.Fatalf("encoded\n%s\nwant\n%s", got, nodeRoomBroadcast)
	}
	data, atts, err := decodeMessage(buf.Bytes())
	if err != nil || len(atts) != 0 {
		t.Fatal(err, atts)
	}
	want := `["q6LdGN",{"type":2,"data":["r1",1],"nsp":"/"},{"rooms":["room1"],"except":[],"flags":{}}]`
	if string(data) != want {
		t.Fatalf("decoded %s", data)
	}
}

func TestFlagsOnTheWire(t *testing.T) {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	_ = encodeOpts(enc, adapter.BroadcastOptions{Except: []string{"sid"}, Timeout: 2 * time.Second}, true, true)
	data, _, err := decodeMessage(append([]byte{}, buf.Bytes()...))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"rooms":[],"except":["sid"],"flags":{"volatile":true,"timeout":2000}}`; string(data) != want {
		t.Fatalf("opts %s, want %s (timeout in milliseconds)", data, want)
	}
}

func TestValueConversion(t *testing.T) {
	tests := []struct {
		name string
		json string
		atts [][]byte
		back string // JSON after a round trip, when it differs
	}{
		{"scalars", `["s",0,-1,127,128,-33,65535,1099511627776,-9007199254740991,2.5,1e+21,null,true,false]`, nil, ""},
		{"nesting and key order", `[{"z":1,"a":[{"y":[]},{}],"m":{"b":2,"a":1}}]`, nil, ""},
		{"unicode", `["ünïcødé \u2028 \"q\" <b>"]`, nil, `["ünïcødé \u2028 \"q\" \u003cb\u003e"]`},
		{"binary", `[{"_placeholder":true,"num":1},{"x":{"_placeholder":true,"num":0}}]`, [][]byte{{1, 2}, {}}, `[{"_placeholder":true,"num":0},{"x":{"_placeholder":true,"num":1}}]`},
		{"integral float", `[3.0]`, nil, `[3]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := jsonToMsgpack(msgpack.NewEncoder(&buf), []byte(tt.json), tt.atts); err != nil {
				t.Fatal(err)
			}
			got, atts, err := decodeMessage(buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			want := tt.json
			if tt.back != "" {
				want = tt.back
			}
			if string(got) != want {
				t.Fatalf("round trip %s, want %s", got, want)
			}
			if len(atts) != len(tt.atts) {
				t.Fatalf("attachments %v", atts)
			}
			if len(tt.atts) == 2 && (!bytes.Equal(atts[0], tt.atts[1]) || !bytes.Equal(atts[1], tt.atts[0])) {
				t.Fatalf("attachments out of order: %v", atts)
			}
		})
	}
}

func TestMsgpackFromNode(t *testing.T) {
	// notepack.io writes a Date as the timestamp extension -1; the client receives the
	// ISO string JSON.stringify would give.
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	_ = enc.EncodeArrayLen(2)
	_ = enc.Encode(time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC))
	_ = enc.EncodeMapLen(1)
	_ = enc.EncodeInt(7) // a non-string key
	_ = enc.EncodeBytes([]byte{})
	got, atts, err := decodeMessage(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if want := `["2026-01-02T03:04:05.006Z",{"7":{"_placeholder":true,"num":0}}]`; string(got) != want || len(atts) != 1 {
		t.Fatalf("got %s %v, want %s", got, atts, want)
	}
}

func TestMalformedMessages(t *testing.T) {
	for _, msg := range []string{"", "{", "\x93\xa6abc", "\xc1", strings.Repeat("\x91", 1000) + "\x01"} {
		if _, _, err := decodeMessage([]byte(msg)); err == nil {
			t.Errorf("%q decoded without error", msg)
		}
	}
}

func FuzzDecodeMessage(f *testing.F) {
	b, _ := hex.DecodeString(nodeRoomBroadcast)
	f.Add(b)
	f.Add([]byte(`{"uid":"x","type":5,"requestId":"r","opts":{"rooms":[1],"except":[]}}`))
	f.Add([]byte("\x92\xc4\x02ab\xd6\xff\x00\x00\x00\x01"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		data, atts, err := decodeMessage(msg)
		if err != nil {
			return
		}
		if !json.Valid(data) {
			t.Fatalf("invalid JSON %q from %x", data, msg)
		}
		for _, a := range atts {
			if a == nil {
				t.Fatal("nil attachment")
			}
		}
	})
}
