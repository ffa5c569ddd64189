package eiocodec

import (
	"bytes"
	"errors"
	"testing"
)

func TestDecodePacket(t *testing.T) {
	tests := []struct {
		in      string
		want    Packet
		wantErr bool
	}{
		{in: "0", want: Packet{Type: PacketOpen, Data: []byte{}}},
		{in: `0{"sid":"x"}`, want: Packet{Type: PacketOpen, Data: []byte(`{"sid":"x"}`)}},
		{in: "1", want: Packet{Type: PacketClose, Data: []byte{}}},
		{in: "2", want: Packet{Type: PacketPing, Data: []byte{}}},
		{in: "2probe", want: Packet{Type: PacketPing, Data: []byte("probe")}},
		{in: "3probe", want: Packet{Type: PacketPong, Data: []byte("probe")}},
		{in: "4hello", want: Packet{Type: PacketMessage, Data: []byte("hello")}},
		{in: `42["hello",1]`, want: Packet{Type: PacketMessage, Data: []byte(`2["hello",1]`)}},
		{in: "4", want: Packet{Type: PacketMessage, Data: []byte{}}},
		{in: "4é\u2028", want: Packet{Type: PacketMessage, Data: []byte("é\u2028")}},
		{in: "5", want: Packet{Type: PacketUpgrade, Data: []byte{}}},
		{in: "6", want: Packet{Type: PacketNoop, Data: []byte{}}},
		{in: "bAQIDBA==", want: Packet{Type: PacketMessage, Data: []byte{1, 2, 3, 4}, Binary: true}},
		{in: "b", want: Packet{Type: PacketMessage, Data: []byte{}, Binary: true}},
		{in: "", wantErr: true},
		{in: "abc", wantErr: true},
		{in: "7", wantErr: true},
		{in: "/", wantErr: true},
		{in: "\x1e", wantErr: true},
		{in: "bAQIDBA", wantErr: true},    // missing padding
		{in: "b!!!!", wantErr: true},      // not base64
		{in: "B AQID", wantErr: true},     // 'B' is no type
		{in: "bAQIDBA==x", wantErr: true}, // junk after padding
	}
	for _, tt := range tests {
		got, err := DecodePacket([]byte(tt.in))
		if tt.wantErr {
			if err == nil || !errors.Is(err, ErrInvalidPacket) {
				t.Errorf("DecodePacket(%q) = %+v, %v; want ErrInvalidPacket", tt.in, got, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("DecodePacket(%q): %v", tt.in, err)
			continue
		}
		if got.Type != tt.want.Type || got.Binary != tt.want.Binary || !bytes.Equal(got.Data, tt.want.Data) {
			t.Errorf("DecodePacket(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestDecodePacketCapsData(t *testing.T) {
	in := []byte("4ab\x1e4cd")
	var got []Packet
	if err := DecodePayload(in, func(p Packet) error { got = append(got, p); return nil }); err != nil {
		t.Fatal(err)
	}
	// An append by the receiver of the first packet must not overwrite the second.
	_ = append(got[0].Data, 'X', 'Y', 'Z')
	if string(got[1].Data) != "cd" || string(in) != "4ab\x1e4cd" {
		t.Fatalf("append through Data clobbered the payload: %q", in)
	}
}

func TestAppendPacket(t *testing.T) {
	tests := []struct {
		p    Packet
		want string
	}{
		{Packet{Type: PacketPing}, "2"},
		{Packet{Type: PacketPong, Data: []byte("probe")}, "3probe"},
		{Packet{Type: PacketMessage, Data: []byte("hello")}, "4hello"},
		{Packet{Type: PacketMessage, Data: []byte{1, 2, 3, 4}, Binary: true}, "bAQIDBA=="},
		{Packet{Type: PacketMessage, Data: []byte{0xff}, Binary: true}, "b/w=="},
		{Packet{Type: PacketMessage, Binary: true}, "b"},
		{Packet{Type: PacketNoop}, "6"},
	}
	for _, tt := range tests {
		if got := string(AppendPacket([]byte("pre"), tt.p)); got != "pre"+tt.want {
			t.Errorf("AppendPacket(%+v) = %q, want %q", tt.p, got, "pre"+tt.want)
		}
	}
}

func TestDecodePayload(t *testing.T) {
	tests := []struct {
		in      string
		want    []Packet
		wantErr bool
	}{
		{in: "4hello", want: []Packet{{Type: PacketMessage, Data: []byte("hello")}}},
		{in: "4test1\x1e4test2\x1e4test3", want: []Packet{
			{Type: PacketMessage, Data: []byte("test1")},
			{Type: PacketMessage, Data: []byte("test2")},
			{Type: PacketMessage, Data: []byte("test3")},
		}},
		{in: "4hello\x1ebAQIDBA==", want: []Packet{
			{Type: PacketMessage, Data: []byte("hello")},
			{Type: PacketMessage, Data: []byte{1, 2, 3, 4}, Binary: true},
		}},
		{in: "3\x1e2\x1e1", want: []Packet{{Type: PacketPong}, {Type: PacketPing}, {Type: PacketClose}}},
		{in: "", wantErr: true},
		{in: "abc", wantErr: true},
		{in: "4a\x1e", wantErr: true},
		{in: "\x1e4a", wantErr: true},
		{in: "4a\x1e\x1e4b", wantErr: true},
		{in: "4a\x1ebA", wantErr: true},
	}
	for _, tt := range tests {
		var got []Packet
		err := DecodePayload([]byte(tt.in), func(p Packet) error { got = append(got, p); return nil })
		if tt.wantErr {
			if !errors.Is(err, ErrInvalidPacket) {
				t.Errorf("DecodePayload(%q) err = %v, want ErrInvalidPacket", tt.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("DecodePayload(%q): %v", tt.in, err)
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("DecodePayload(%q) = %d packets, want %d", tt.in, len(got), len(tt.want))
			continue
		}
		for i := range got {
			if got[i].Type != tt.want[i].Type || got[i].Binary != tt.want[i].Binary || !bytes.Equal(got[i].Data, tt.want[i].Data) {
				t.Errorf("DecodePayload(%q)[%d] = %+v, want %+v", tt.in, i, got[i], tt.want[i])
			}
		}
	}
}

func TestDecodePayloadStopsOnCallbackError(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := DecodePayload([]byte("4a\x1e4b\x1e4c"), func(Packet) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 2 {
		t.Fatalf("err %v after %d packets, want stop after 2", err, n)
	}
}

func TestAppendPayload(t *testing.T) {
	tests := []struct {
		in   []Packet
		want string
	}{
		{nil, ""},
		{[]Packet{{Type: PacketMessage, Data: []byte("hello")}}, "4hello"},
		{[]Packet{
			{Type: PacketMessage, Data: []byte("hello")},
			{Type: PacketMessage, Data: []byte{1, 2, 3, 4}, Binary: true},
		}, "4hello\x1ebAQIDBA=="},
		{[]Packet{{Type: PacketNoop}, {Type: PacketClose}}, "6\x1e1"},
	}
	for _, tt := range tests {
		if got := string(AppendPayload(nil, tt.in...)); got != tt.want {
			t.Errorf("AppendPayload(%+v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// seeds are the byte strings of the protocol reference, plus edge cases.
var packetSeeds = []string{
	"0", `0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`,
	"1", "2", "3", "2probe", "3probe", "4hello", "4", "5", "6",
	`40`, `40{"token":"123"}`, `42["hello",1]`, `451-["baz",{"_placeholder":true,"num":0}]`,
	"bAQIDBA==", "b", "abc", "", "7", "b!!", "bAQIDBA",
	"4hello\x1e2\x1e4world", "4test1\x1e4test2\x1e4test3", "4hello\x1ebAQIDBA==", "6\x1e1",
}

func FuzzDecodePacket(f *testing.F) {
	for _, s := range packetSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := DecodePacket(in)
		if err != nil {
			if !errors.Is(err, ErrInvalidPacket) {
				t.Fatalf("error %v does not wrap ErrInvalidPacket", err)
			}
			return
		}
		if p.Binary && p.Type != PacketMessage {
			t.Fatalf("binary packet of type %q", p.Type)
		}
		enc := AppendPacket(nil, p)
		q, err := DecodePacket(enc)
		if err != nil {
			t.Fatalf("re-decoding %q (from %q): %v", enc, in, err)
		}
		if q.Type != p.Type || q.Binary != p.Binary || !bytes.Equal(q.Data, p.Data) {
			t.Fatalf("round trip of %q: %+v != %+v", in, q, p)
		}
		if !p.Binary && !bytes.Equal(enc, in) {
			t.Fatalf("text packet %q re-encoded as %q", in, enc)
		}
	})
}

func FuzzDecodePayload(f *testing.F) {
	for _, s := range packetSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var pkts []Packet
		err := DecodePayload(in, func(p Packet) error {
			pkts = append(pkts, p)
			return nil
		})
		if err != nil {
			if !errors.Is(err, ErrInvalidPacket) {
				t.Fatalf("error %v does not wrap ErrInvalidPacket", err)
			}
			return
		}
		if len(pkts) != bytes.Count(in, []byte{RecordSeparator})+1 {
			t.Fatalf("%q: %d packets for %d separators", in, len(pkts), bytes.Count(in, []byte{RecordSeparator}))
		}
		enc := AppendPayload(nil, pkts...)
		var again []Packet
		if err := DecodePayload(enc, func(p Packet) error {
			again = append(again, p)
			return nil
		}); err != nil {
			t.Fatalf("re-decoding %q: %v", enc, err)
		}
		if len(again) != len(pkts) {
			t.Fatalf("round trip of %q: %d packets, want %d", in, len(again), len(pkts))
		}
		for i := range pkts {
			if again[i].Type != pkts[i].Type || again[i].Binary != pkts[i].Binary || !bytes.Equal(again[i].Data, pkts[i].Data) {
				t.Fatalf("round trip of %q, packet %d: %+v != %+v", in, i, again[i], pkts[i])
			}
		}
	})
}
