package socketio

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

// wire builds a test message list: the text message, then the binary ones.
type decodeCase struct {
	name string
	text string
	bins [][]byte
	want Packet
	// canonical: AppendPacket writes the text back byte for byte.
	canonical bool
}

const (
	ph0 = `{"_placeholder":true,"num":0}`
	ph1 = `{"_placeholder":true,"num":1}`
)

func decodeCases() []decodeCase {
	bin1, bin2 := []byte{1, 2, 3}, []byte{4, 5, 6}
	return []decodeCase{
		{"connect main", `0`, nil, Packet{Type: Connect, Namespace: "/"}, true},
		{"connect with auth", `0{"token":"123"}`, nil,
			Packet{Type: Connect, Namespace: "/", Data: raw(`{"token":"123"}`)}, true},
		{"connect ns auth", `0/admin,{"token":"x"}`, nil,
			Packet{Type: Connect, Namespace: "/admin", Data: raw(`{"token":"x"}`)}, true},
		{"connect reply", `0{"sid":"wZX3oN0bSVIhsaknAAAI"}`, nil,
			Packet{Type: Connect, Namespace: "/", Data: raw(`{"sid":"wZX3oN0bSVIhsaknAAAI"}`)}, true},
		{"connect ns without comma", `0/custom`, nil, Packet{Type: Connect, Namespace: "/custom"}, false},
		{"connect ns with comma", `0/custom,`, nil, Packet{Type: Connect, Namespace: "/custom"}, true},
		{"connect random ns", `0/random`, nil, Packet{Type: Connect, Namespace: "/random"}, false},
		{"connect explicit main ns", `0/,`, nil, Packet{Type: Connect, Namespace: "/"}, false},
		{"disconnect main", `1`, nil, Packet{Type: Disconnect, Namespace: "/"}, true},
		{"disconnect ns", `1/admin,`, nil, Packet{Type: Disconnect, Namespace: "/admin"}, true},
		{"disconnect ns without comma", `1/custom`, nil, Packet{Type: Disconnect, Namespace: "/custom"}, false},
		{"event", `2["foo",1]`, nil, Packet{Type: Event, Namespace: "/", Data: raw(`["foo",1]`)}, true},
		{"event ns ack", `2/admin,13["bar"]`, nil,
			Packet{Type: Event, Namespace: "/admin", ID: 13, HasID: true, Data: raw(`["bar"]`)}, true},
		{"event ack id 0", `20["hello","world"]`, nil,
			Packet{Type: Event, Namespace: "/", ID: 0, HasID: true, Data: raw(`["hello","world"]`)}, true},
		{"event suite ack", `2456["message-with-ack",1,"2",{"3":[false]}]`, nil,
			Packet{Type: Event, Namespace: "/", ID: 456, HasID: true, Data: raw(`["message-with-ack",1,"2",{"3":[false]}]`)}, true},
		{"event plain text", `2["message","message to main namespace"]`, nil,
			Packet{Type: Event, Namespace: "/", Data: raw(`["message","message to main namespace"]`)}, true},
		{"event number name", `2[1,"x"]`, nil, Packet{Type: Event, Namespace: "/", Data: raw(`[1,"x"]`)}, true},
		{"event whitespace", `2 ["x"] `, nil, Packet{Type: Event, Namespace: "/", Data: raw(` ["x"] `)}, true},
		{"event placeholder-like stays data", `2["x",` + ph0 + `]`, nil,
			Packet{Type: Event, Namespace: "/", Data: raw(`["x",` + ph0 + `]`)}, true},
		{"ack", `3/admin,13["ok"]`, nil,
			Packet{Type: Ack, Namespace: "/admin", ID: 13, HasID: true, Data: raw(`["ok"]`)}, true},
		{"ack id 0", `30[{"ok":"world"}]`, nil,
			Packet{Type: Ack, Namespace: "/", ID: 0, HasID: true, Data: raw(`[{"ok":"world"}]`)}, true},
		{"ack empty", `35[]`, nil, Packet{Type: Ack, Namespace: "/", ID: 5, HasID: true, Data: raw(`[]`)}, true},
		{"connect error object", `4{"message":"Not authorized"}`, nil,
			Packet{Type: ConnectError, Namespace: "/", Data: raw(`{"message":"Not authorized"}`)}, true},
		{"connect error ns", `4/random,{"message":"Invalid namespace"}`, nil,
			Packet{Type: ConnectError, Namespace: "/random", Data: raw(`{"message":"Invalid namespace"}`)}, true},
		{"connect error string", `4"Not authorized"`, nil,
			Packet{Type: ConnectError, Namespace: "/", Data: raw(`"Not authorized"`)}, true},
		{"binary event", `51-["baz",` + ph0 + `]`, [][]byte{bin1},
			Packet{Type: BinaryEvent, Namespace: "/", Data: raw(`["baz",` + ph0 + `]`), Attachments: [][]byte{bin1}}, true},
		{"binary ack", `61-15[` + ph0 + `]`, [][]byte{bin1},
			Packet{Type: BinaryAck, Namespace: "/", ID: 15, HasID: true, Data: raw(`[` + ph0 + `]`), Attachments: [][]byte{bin1}}, true},
		{"binary event two", `52-["message",` + ph0 + `,` + ph1 + `]`, [][]byte{bin1, bin2},
			Packet{Type: BinaryEvent, Namespace: "/", Data: raw(`["message",` + ph0 + `,` + ph1 + `]`), Attachments: [][]byte{bin1, bin2}}, true},
		{"binary event ack", `52-789["message-with-ack",` + ph0 + `,` + ph1 + `]`, [][]byte{bin1, bin2},
			Packet{Type: BinaryEvent, Namespace: "/", ID: 789, HasID: true, Data: raw(`["message-with-ack",` + ph0 + `,` + ph1 + `]`), Attachments: [][]byte{bin1, bin2}}, true},
		{"binary ack reuse id", `62-789[` + ph0 + `,` + ph1 + `]`, [][]byte{bin1, bin2},
			Packet{Type: BinaryAck, Namespace: "/", ID: 789, HasID: true, Data: raw(`[` + ph0 + `,` + ph1 + `]`), Attachments: [][]byte{bin1, bin2}}, true},
		{"binary ns", `52-/admin,["x",` + ph1 + `,` + ph0 + `]`, [][]byte{bin1, bin2},
			Packet{Type: BinaryEvent, Namespace: "/admin", Data: raw(`["x",` + ph1 + `,` + ph0 + `]`), Attachments: [][]byte{bin1, bin2}}, true},
		{"binary nested", `52-["binback",` + ph0 + `,{"nested":[` + ph1 + `]}]`, [][]byte{bin1, bin2},
			Packet{Type: BinaryEvent, Namespace: "/", Data: raw(`["binback",` + ph0 + `,{"nested":[` + ph1 + `]}]`), Attachments: [][]byte{bin1, bin2}}, true},
		{"binary empty attachment", `51-["x",` + ph0 + `]`, [][]byte{{}},
			Packet{Type: BinaryEvent, Namespace: "/", Data: raw(`["x",` + ph0 + `]`), Attachments: [][]byte{{}}}, true},
		{"binary zero attachments", `50-["x"]`, nil,
			Packet{Type: BinaryEvent, Namespace: "/", Data: raw(`["x"]`)}, true},
		{"placeholder keys reordered", `51-["x",{"num":0,"_placeholder":true}]`, [][]byte{bin1},
			Packet{Type: BinaryEvent, Namespace: "/", Data: raw(`["x",{"num":0,"_placeholder":true}]`), Attachments: [][]byte{bin1}}, true},
		{"ten attachments", `510-["x"]`, slices.Repeat([][]byte{bin1}, 10),
			Packet{Type: BinaryEvent, Namespace: "/", Data: raw(`["x"]`), Attachments: slices.Repeat([][]byte{bin1}, 10)}, true},
	}
}

func raw(s string) json.RawMessage { return json.RawMessage(s) }

func decodeAll(t testing.TB, d *Decoder, text string, bins [][]byte) (*Packet, error) {
	t.Helper()
	p, err := d.Add([]byte(text), false)
	if err != nil {
		return nil, err
	}
	for i, b := range bins {
		if p != nil {
			t.Fatalf("packet complete before attachment %d", i)
		}
		if p, err = d.Add(b, true); err != nil {
			return nil, err
		}
	}
	if p == nil {
		t.Fatalf("packet still incomplete after %d attachments", len(bins))
	}
	return p, nil
}

func equalPacket(a, b *Packet) bool {
	return a.Type == b.Type && a.Namespace == b.Namespace && a.ID == b.ID && a.HasID == b.HasID &&
		bytes.Equal(a.Data, b.Data) && (a.Data == nil) == (b.Data == nil) &&
		slices.EqualFunc(a.Attachments, b.Attachments, bytes.Equal)
}

func TestDecoderValid(t *testing.T) {
	for _, tc := range decodeCases() {
		t.Run(tc.name, func(t *testing.T) {
			var d Decoder
			p, err := decodeAll(t, &d, tc.text, tc.bins)
			if err != nil {
				t.Fatalf("Add(%q): %v", tc.text, err)
			}
			if !equalPacket(p, &tc.want) {
				t.Fatalf("Add(%q) = %+v, want %+v", tc.text, *p, tc.want)
			}
			// Round trip: encoding and decoding again gives the same packet.
			enc := AppendPacket(nil, p)
			if tc.canonical && string(enc) != tc.text {
				t.Errorf("AppendPacket = %q, want %q", enc, tc.text)
			}
			p2, err := decodeAll(t, &d, string(enc), p.Attachments)
			if err != nil {
				t.Fatalf("re-decode %q: %v", enc, err)
			}
			if !equalPacket(p2, p) {
				t.Errorf("round trip %q: %+v, want %+v", enc, *p2, *p)
			}
		})
	}
}

func TestDecoderInvalid(t *testing.T) {
	long := strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1)
	cases := []struct{ name, text string }{
		{"empty", ``},
		{"unknown type letter", `abc`},
		{"unknown type 7", `7["x"]`},
		{"unknown type 9", `9`},
		{"event object", `2{}`},
		{"junk before json", `2abc["x"]`},
		{"junk after ack id", `21abc["x"]`},
		{"event without data", `2`},
		{"event with ns without data", `2/admin,`},
		{"event empty array", `2[]`},
		{"event null name", `2[null]`},
		{"event object name", `2[{}]`},
		{"event bool name", `2[true]`},
		{"event array name", `2[["x"]]`},
		{"reserved connect", `2["connect"]`},
		{"reserved connect_error", `2["connect_error"]`},
		{"reserved disconnect", `2["disconnect"]`},
		{"reserved disconnecting", `2["disconnecting"]`},
		{"reserved newListener", `2["newListener"]`},
		{"reserved removeListener", `2["removeListener",1]`},
		{"reserved escaped", `2["disconn\u0065ct"]`},
		{"reserved binary", `50-["disconnect"]`},
		{"disconnect with data", `1{}`},
		{"disconnect ns with data", `1/admin,{}`},
		{"connect array", `0[]`},
		{"connect string", `0"x"`},
		{"connect null", `0null`},
		{"connect junk", `0abc`},
		{"ack object", `3{}`},
		{"ack string", `3"x"`},
		{"ack without data", `3`},
		{"ack id without data", `31`},
		{"connect error array", `4[]`},
		{"connect error number", `41`},
		{"connect error null", `4null`},
		{"binary without count", `5["x"]`},
		{"binary count without digits", `5-["x"]`},
		{"binary count letters", `5a-["x"]`},
		{"binary count without dash", `51["x"]`},
		{"binary count only", `51`},
		{"too many attachments", `511-["x"]`},
		{"huge attachment count", `599999999999999999999-["x"]`},
		{"placeholder out of range", `51-["x",{"_placeholder":true,"num":1}]`},
		{"placeholder missing num", `51-["x",{"_placeholder":true}]`},
		{"placeholder negative", `51-["x",{"_placeholder":true,"num":-1}]`},
		{"placeholder string num", `51-["x",{"_placeholder":true,"num":"0"}]`},
		{"placeholder fractional num", `51-["x",{"_placeholder":true,"num":0.5}]`},
		{"placeholder with zero attachments", `50-["x",` + ph0 + `]`},
		{"bad json trailing comma", `2["x",]`},
		{"bad json trailing junk", `2["x"]junk`},
		{"bad json unterminated", `2["x"`},
		{"bad json unterminated string", `2["x`},
		{"bad json control char", "2[\"x\ny\"]"},
		{"bad json escape", `2["x\q"]`},
		{"bad json leading zero", `2["x",01]`},
		{"bad json nested too deep", `3` + long},
		{"ack id overflow", `299999999999999999999["x"]`},
		{"minus ack id", `2-1["x"]`},
		{"count on non-binary type", `21-["x"]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var d Decoder
			p, err := d.Add([]byte(tc.text), false)
			if err == nil {
				t.Fatalf("Add(%q) = %+v, want an error", tc.text, p)
			}
			if !errors.Is(err, ErrInvalidPacket) {
				t.Errorf("error %v does not match ErrInvalidPacket", err)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Errorf("error %T is not a *ParseError", err)
			}
			if p != nil {
				t.Errorf("packet %+v returned with an error", p)
			}
		})
	}
}

func TestDecoderPlaceholderErrorMatches(t *testing.T) {
	var d Decoder
	_, err := d.Add([]byte(`51-["x",{"_placeholder":true,"num":3}]`), false)
	if !errors.Is(err, ErrInvalidPlaceholder) || !errors.Is(err, ErrInvalidPacket) {
		t.Fatalf("got %v, want ErrInvalidPlaceholder and ErrInvalidPacket", err)
	}
}

func TestDecoderSequence(t *testing.T) {
	t.Run("binary without pending packet", func(t *testing.T) {
		var d Decoder
		if _, err := d.Add([]byte{1, 2, 3}, true); !errors.Is(err, ErrInvalidPacket) {
			t.Fatalf("got %v, want ErrInvalidPacket", err)
		}
	})
	t.Run("text while attachments pending", func(t *testing.T) {
		var d Decoder
		if p, err := d.Add([]byte(`52-["x",`+ph0+`,`+ph1+`]`), false); p != nil || err != nil {
			t.Fatalf("header: %v, %v", p, err)
		}
		if p, err := d.Add([]byte{1}, true); p != nil || err != nil {
			t.Fatalf("first attachment: %v, %v", p, err)
		}
		if _, err := d.Add([]byte(`2["x"]`), false); !errors.Is(err, ErrInvalidPacket) {
			t.Fatalf("got %v, want ErrInvalidPacket", err)
		}
		// The decoder is usable again after the error.
		p, err := d.Add([]byte(`2["y"]`), false)
		if err != nil || p == nil || string(p.Data) != `["y"]` {
			t.Fatalf("after error: %+v, %v", p, err)
		}
	})
	t.Run("extra binary after complete packet", func(t *testing.T) {
		var d Decoder
		if _, err := decodeAll(t, &d, `51-["x",`+ph0+`]`, [][]byte{{1}}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Add([]byte{2}, true); !errors.Is(err, ErrInvalidPacket) {
			t.Fatalf("got %v, want ErrInvalidPacket", err)
		}
	})
	t.Run("reset drops pending", func(t *testing.T) {
		var d Decoder
		if _, err := d.Add([]byte(`51-["x",`+ph0+`]`), false); err != nil {
			t.Fatal(err)
		}
		d.Reset()
		if _, err := d.Add([]byte{1}, true); !errors.Is(err, ErrInvalidPacket) {
			t.Fatalf("binary after Reset: got %v, want ErrInvalidPacket", err)
		}
		if p, err := d.Add([]byte(`2["x"]`), false); err != nil || p == nil {
			t.Fatalf("text after Reset: %v, %v", p, err)
		}
	})
	t.Run("max attachments setting", func(t *testing.T) {
		d := Decoder{MaxAttachments: 2}
		if _, err := d.Add([]byte(`53-["x"]`), false); !errors.Is(err, ErrInvalidPacket) {
			t.Fatalf("3 attachments with limit 2: got %v", err)
		}
		if _, err := d.Add([]byte(`52-["x"]`), false); err != nil {
			t.Fatalf("2 attachments with limit 2: %v", err)
		}
		d = Decoder{MaxAttachments: 20}
		if _, err := d.Add([]byte(`520-["x"]`), false); err != nil {
			t.Fatalf("20 attachments with limit 20: %v", err)
		}
	})
	t.Run("namespace string reused", func(t *testing.T) {
		var d Decoder
		a, _ := d.Add([]byte(`2/chat,["x"]`), false)
		b, _ := d.Add([]byte(`2/chat,["y"]`), false)
		if a.Namespace != "/chat" || b.Namespace != "/chat" {
			t.Fatalf("namespaces %q %q", a.Namespace, b.Namespace)
		}
		msg := []byte(`2/chat,["y"]`)
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := d.Add(msg, false); err != nil {
				t.Fatal(err)
			}
		})
		if allocs > 1 {
			t.Errorf("decoding with a repeated namespace: %v allocs, want 1 (the packet)", allocs)
		}
	})
}

func TestDecoderAliasesInput(t *testing.T) {
	var d Decoder
	msg := []byte(`51-["x",` + ph0 + `]`)
	att := []byte{9, 9}
	p, err := decodeAll(t, &d, string(msg), [][]byte{att})
	if err != nil {
		t.Fatal(err)
	}
	if &p.Attachments[0][0] != &att[0] {
		t.Error("attachment was copied; the contract is to keep the caller's slice")
	}
}

func TestPacketTypeString(t *testing.T) {
	want := []string{"CONNECT", "DISCONNECT", "EVENT", "ACK", "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK", "PacketType(7)"}
	for i, w := range want {
		if got := PacketType(i).String(); got != w {
			t.Errorf("PacketType(%d).String() = %q, want %q", i, got, w)
		}
	}
}

func TestIsReserved(t *testing.T) {
	for _, name := range []string{"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"} {
		if !IsReserved(name) || !isReservedBytes([]byte(name)) {
			t.Errorf("%q not reserved", name)
		}
	}
	for _, name := range []string{"", "message", "Connect", "connection", "disconnect ", "error"} {
		if IsReserved(name) || isReservedBytes([]byte(name)) {
			t.Errorf("%q reserved", name)
		}
	}
}
