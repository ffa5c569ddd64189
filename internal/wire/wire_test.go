package wire

import (
	"encoding/json"
	"testing"

	"github.com/sockgate/sockgate/internal/socketio"
)

func TestMessages(t *testing.T) {
	tests := []struct {
		name string
		p    socketio.Packet
		text string
		bins []string
	}{
		{"connect reply", socketio.Packet{Type: socketio.Connect, Namespace: "/", Data: json.RawMessage(`{"sid":"x"}`)}, `0{"sid":"x"}`, nil},
		{"event with ack id 0", socketio.Packet{Type: socketio.Event, Namespace: "/admin", HasID: true, Data: json.RawMessage(`["a"]`)}, `2/admin,0["a"]`, nil},
		{"binary event", socketio.Packet{Type: socketio.BinaryEvent, Namespace: "/", Data: json.RawMessage(`["b",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`),
			Attachments: [][]byte{{1}, {2, 3}}}, `52-["b",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, []string{"\x01", "\x02\x03"}},
		{"disconnect", socketio.Packet{Type: socketio.Disconnect, Namespace: "/chat"}, `1/chat,`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := Messages(&tt.p)
			if len(msgs) != 1+len(tt.bins) {
				t.Fatalf("%d messages, want %d", len(msgs), 1+len(tt.bins))
			}
			// Data is the Engine.IO payload: the Socket.IO packet after the '4'.
			if msgs[0].Binary() || string(msgs[0].Data()) != tt.text {
				t.Fatalf("text message %q (binary %v), want %q", msgs[0].Data(), msgs[0].Binary(), tt.text)
			}
			for i, b := range tt.bins {
				if m := msgs[1+i]; !m.Binary() || string(m.Data()) != b {
					t.Fatalf("attachment %d = %q (binary %v), want %q", i, m.Data(), m.Binary(), b)
				}
			}
		})
	}
}
