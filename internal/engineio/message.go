package engineio

import (
	"encoding/base64"
	"sync/atomic"

	"github.com/gorilla/websocket"
)

// A Message is one encoded Engine.IO packet ready to be written, immutable
// after creation and shareable by any number of sessions: a broadcast builds
// it once and sends the same *Message to every recipient.
//
// On websocket, a Message written to a second connection gets a gorilla
// PreparedMessage, built once and reused for every later recipient; the first
// write goes straight through the connection's pooled write buffer, so a
// Message sent to a single connection never pays for a prepared frame.
// Polling recipients copy the bytes into their response (binary as 'b' and
// base64).
type Message struct {
	// data is the text packet including its type byte, or the raw bytes of a
	// binary message.
	data   []byte
	binary bool

	wsWrites atomic.Uint32                             // websocket writes started, to decide when to prepare
	prepared atomic.Pointer[websocket.PreparedMessage] // built on the second websocket write
}

// NewTextMessage returns a text "message" packet. packet is the encoded
// packet INCLUDING its leading '4' type byte, so that an encoder can write '4'
// and its own payload into one buffer without a copy. As a convenience, a
// packet whose first byte is not '4' is taken as a bare payload and a copy
// with '4' prepended is used; a payload that itself starts with '4' must
// therefore be passed with its type byte ("44..."). The Message keeps packet:
// the caller must not modify it afterwards.
func NewTextMessage(packet []byte) *Message {
	if len(packet) == 0 || packet[0] != PacketMessage {
		b := make([]byte, 0, len(packet)+1)
		b = append(b, PacketMessage)
		packet = append(b, packet...)
	}
	return &Message{data: packet}
}

// NewBinaryMessage returns a binary "message" packet carrying data. The
// Message keeps data: the caller must not modify it afterwards.
func NewBinaryMessage(data []byte) *Message {
	return &Message{data: data, binary: true}
}

// newControl returns a text packet of any type (ping, noop, close...).
func newControl(packet string) *Message { return &Message{data: []byte(packet)} }

// Shared control packets; their prepared frames serve every session.
var (
	msgPing  = newControl("2")
	msgNoop  = newControl("6")
	msgClose = newControl("1")
)

// Binary reports whether m is a binary message.
func (m *Message) Binary() bool { return m.binary }

// Data returns the payload of m: for a text message the packet without its
// type byte, for a binary message the raw bytes. It must not be modified.
func (m *Message) Data() []byte {
	if m.binary {
		return m.data
	}
	return m.data[1:]
}

// appendPolling appends the polling encoding of m to dst.
func (m *Message) appendPolling(dst []byte) []byte {
	if m.binary {
		dst = append(dst, binaryPrefix)
		return base64.StdEncoding.AppendEncode(dst, m.data)
	}
	return append(dst, m.data...)
}

// pollingLen is the length of m in a polling payload.
func (m *Message) pollingLen() int {
	if m.binary {
		return 1 + base64.StdEncoding.EncodedLen(len(m.data))
	}
	return len(m.data)
}

// writeTo writes m as one websocket message. b64 selects the text encoding of
// binary messages for clients that asked for it; that rare case is not cached.
func (m *Message) writeTo(ws *websocket.Conn, b64 bool, scratch *[]byte) error {
	if m.binary && b64 {
		buf := m.appendPolling((*scratch)[:0])
		*scratch = buf
		return ws.WriteMessage(websocket.TextMessage, buf)
	}
	if pm := m.prepared.Load(); pm != nil {
		return ws.WritePreparedMessage(pm)
	}
	typ := websocket.TextMessage
	if m.binary {
		typ = websocket.BinaryMessage
	}
	if m.wsWrites.Add(1) == 1 {
		return ws.WriteMessage(typ, m.data)
	}
	pm, err := websocket.NewPreparedMessage(typ, m.data)
	if err != nil {
		return ws.WriteMessage(typ, m.data)
	}
	if !m.prepared.CompareAndSwap(nil, pm) {
		pm = m.prepared.Load()
	}
	return ws.WritePreparedMessage(pm)
}
