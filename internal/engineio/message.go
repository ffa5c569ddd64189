package engineio

import (
	"encoding/base64"
	"sync/atomic"

	"github.com/sockgate/sockgate/internal/eiocodec"
)

// A Message is one encoded Engine.IO packet ready to be written, immutable
// after creation and shareable by any number of sessions: a broadcast builds
// it once and sends the same *Message to every recipient.
//
// On websocket, its frame is its header (kept in the Message, built once) and
// its data, written together with one writev; from the second websocket
// recipient on, a copy of the whole frame in one buffer, built once, is written
// instead. Nothing is copied per recipient.
// Polling recipients copy the bytes into their response (binary as 'b' and
// base64).
type Message struct {
	// data is the text packet including its type byte, or the raw bytes of a
	// binary message.
	data   []byte
	binary bool
	wsOp   byte // a websocket control frame (pong) rather than a packet; 0 for packets
	hdrLen uint8
	hdr    [maxFrameHeader]byte // the websocket frame header of data

	// A message written to more than one websocket gets its frame in one piece, so that
	// every later recipient costs a plain write of one buffer.
	wsWrites atomic.Uint32
	frame    atomic.Pointer[[]byte]
}

// NewTextMessage returns a text "message" packet. packet is the encoded
// packet INCLUDING its leading '4' type byte, so that an encoder can write '4'
// and its own payload into one buffer without a copy. As a convenience, a
// packet whose first byte is not '4' is taken as a bare payload and a copy
// with '4' prepended is used; a payload that itself starts with '4' must
// therefore be passed with its type byte ("44..."). The Message keeps packet:
// the caller must not modify it afterwards.
func NewTextMessage(packet []byte) *Message {
	if len(packet) == 0 || packet[0] != eiocodec.PacketMessage {
		b := make([]byte, 0, len(packet)+1)
		b = append(b, eiocodec.PacketMessage)
		packet = append(b, packet...)
	}
	return newMessage(packet, false)
}

// NewBinaryMessage returns a binary "message" packet carrying data. The
// Message keeps data: the caller must not modify it afterwards.
func NewBinaryMessage(data []byte) *Message {
	return newMessage(data, true)
}

func newMessage(data []byte, binary bool) *Message {
	m := &Message{data: data, binary: binary}
	m.setHeader()
	return m
}

// setHeader builds the websocket frame header of m.
func (m *Message) setHeader() {
	op := opText
	switch {
	case m.wsOp != 0:
		op = m.wsOp
	case m.binary:
		op = opBinary
	}
	m.hdrLen = uint8(len(appendFrameHeader(m.hdr[:0], op, len(m.data))))
}

// newControl returns a text packet of any type (ping, noop, close...).
func newControl(packet string) *Message { return newMessage([]byte(packet), false) }

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
		return eiocodec.AppendPacket(dst, eiocodec.Packet{Type: eiocodec.PacketMessage, Data: m.data, Binary: true})
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

// appendFrame appends m's websocket frame to bufs, as its header and its payload. b64
// selects the text encoding of binary messages for clients that asked for it; that rare
// case builds a frame of its own.
func (m *Message) appendFrame(bufs [][]byte, b64 bool) [][]byte {
	if m.binary && b64 {
		n := m.pollingLen()
		f := appendFrameHeader(make([]byte, 0, maxFrameHeader+n), opText, n)
		return append(bufs, m.appendPolling(f))
	}
	if f := m.frame.Load(); f != nil {
		return append(bufs, *f)
	}
	if m.wsWrites.Add(1) == 1 {
		return append(bufs, m.hdr[:m.hdrLen], m.data)
	}
	f := make([]byte, 0, int(m.hdrLen)+len(m.data))
	f = append(append(f, m.hdr[:m.hdrLen]...), m.data...)
	if !m.frame.CompareAndSwap(nil, &f) {
		return append(bufs, *m.frame.Load())
	}
	return append(bufs, f)
}
