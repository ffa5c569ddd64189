package engineio

import (
	"encoding/binary"
	"fmt"
)

// The websocket framing of an established session (RFC 6455 §5) is done here rather
// than by gorilla/websocket, which only answers the opening handshake: the server then
// writes frames without blocking from whichever goroutine sends (no writer goroutine
// unless the socket is full), and reads them from a readiness poller without a reader
// goroutine per connection (see poller_linux.go).

// Websocket opcodes.
const (
	opContinuation byte = 0x0
	opText         byte = 0x1
	opBinary       byte = 0x2
	opClose        byte = 0x8
	opPing         byte = 0x9
	opPong         byte = 0xa
)

// Close codes the server sends.
const (
	closeNormal         = 1000
	closeGoingAway      = 1001
	closeProtocolError  = 1002
	closeInvalidData    = 1007 // a text message that is not UTF-8 (RFC 6455 §8.1)
	closePolicyViolated = 1008
	closeTooBig         = 1009
)

// maxFrameHeader is the longest server frame header: no mask, 64-bit length.
const maxFrameHeader = 10

// appendFrameHeader appends the header of one final, unmasked server frame.
func appendFrameHeader(dst []byte, op byte, n int) []byte {
	switch {
	case n <= 125:
		return append(dst, 0x80|op, byte(n))
	case n <= 0xffff:
		return append(dst, 0x80|op, 126, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x80|op, 127)
		return binary.BigEndian.AppendUint64(dst, uint64(n))
	}
}

// appendCloseFrame appends a whole close frame carrying code.
func appendCloseFrame(dst []byte, code int) []byte {
	return append(dst, 0x80|opClose, 2, byte(code>>8), byte(code))
}

// frameError is a protocol violation by the client, with the close code to answer.
type frameError struct {
	code int
	msg  string
}

func (e *frameError) Error() string { return "engineio: websocket: " + e.msg }

func (e *frameError) Unwrap() error {
	switch e.code {
	case closeTooBig:
		return ErrPayloadTooLarge
	case closeInvalidData:
		return ErrInvalidUTF8
	case closeTryAgain:
		return ErrServerBusy
	}
	return ErrProtocol
}

// clientFrame is the header of a client frame.
type clientFrame struct {
	fin  bool
	op   byte
	hdr  int // header length, mask key included
	n    int // payload length
	mask [4]byte
}

// parseClientFrame reads a client frame header from b. ok is false when b does not yet
// hold the whole header. limit bounds the payload.
func parseClientFrame(b []byte, limit int64) (f clientFrame, ok bool, err error) {
	if len(b) < 2 {
		return f, false, nil
	}
	f.fin = b[0]&0x80 != 0
	f.op = b[0] & 0x0f
	if b[0]&0x70 != 0 {
		return f, false, &frameError{closeProtocolError, "reserved bits set (no extension was negotiated)"}
	}
	if b[1]&0x80 == 0 {
		return f, false, &frameError{closeProtocolError, "unmasked client frame"}
	}
	switch f.op {
	case opContinuation, opText, opBinary:
	case opClose, opPing, opPong:
		if !f.fin || b[1]&0x7f > 125 {
			return f, false, &frameError{closeProtocolError, "fragmented or long control frame"}
		}
	default:
		return f, false, &frameError{closeProtocolError, fmt.Sprintf("unknown opcode %d", f.op)}
	}
	var n uint64
	switch l := b[1] & 0x7f; l {
	case 126:
		if len(b) < 4 {
			return f, false, nil
		}
		n, f.hdr = uint64(binary.BigEndian.Uint16(b[2:])), 4
	case 127:
		if len(b) < 10 {
			return f, false, nil
		}
		n, f.hdr = binary.BigEndian.Uint64(b[2:]), 10
	default:
		n, f.hdr = uint64(l), 2
	}
	if n > uint64(limit) {
		return f, false, &frameError{closeTooBig, fmt.Sprintf("frame of %d bytes over the limit of %d", n, limit)}
	}
	if len(b) < f.hdr+4 {
		return f, false, nil
	}
	copy(f.mask[:], b[f.hdr:])
	f.hdr += 4
	f.n = int(n)
	return f, true, nil
}

// unmask XORs b with the mask key, starting at key position pos.
func unmask(b []byte, key [4]byte, pos int) {
	var k [8]byte
	for i := range k {
		k[i] = key[(pos+i)&3]
	}
	kw := binary.LittleEndian.Uint64(k[:])
	i := 0
	for ; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], binary.LittleEndian.Uint64(b[i:])^kw)
	}
	for ; i < len(b); i++ {
		b[i] ^= k[i&7]
	}
}

// frameReader turns the bytes of one connection into whole messages and control frames.
// It belongs to the connection's current reader.
type frameReader struct {
	limit int64
	frag  []byte // a fragmented message being assembled
	fop   byte   // its opcode, 0 when none
}

// next takes one frame from b: consumed bytes, and a message or control frame when one is
// complete (op 0 otherwise). The payload aliases b (or the fragment buffer) and is
// unmasked in place; it is valid until the next call.
func (r *frameReader) next(b []byte) (consumed int, op byte, payload []byte, err error) {
	f, ok, err := parseClientFrame(b, r.limit)
	if err != nil || !ok || len(b) < f.hdr+f.n {
		return 0, 0, nil, err
	}
	p := b[f.hdr : f.hdr+f.n]
	unmask(p, f.mask, 0)
	consumed = f.hdr + f.n
	switch {
	case f.op >= opClose:
		return consumed, f.op, p, nil
	case f.op == opContinuation:
		if r.fop == 0 {
			return 0, 0, nil, &frameError{closeProtocolError, "continuation frame without a message"}
		}
		if int64(len(r.frag)+len(p)) > r.limit {
			return 0, 0, nil, &frameError{closeTooBig, "fragmented message over the limit"}
		}
		r.frag = append(r.frag, p...)
		if !f.fin {
			return consumed, 0, nil, nil
		}
		op, payload = r.fop, r.frag
		r.fop, r.frag = 0, nil // the handler gets a copy; the fragment buffer is dropped
		return consumed, op, payload, nil
	default:
		if r.fop != 0 {
			return 0, 0, nil, &frameError{closeProtocolError, "new message inside a fragmented one"}
		}
		if f.fin {
			return consumed, f.op, p, nil
		}
		r.fop = f.op
		r.frag = append(make([]byte, 0, 2*len(p)), p...)
		return consumed, 0, nil, nil
	}
}

// need returns how many bytes the frame starting at b needs in all, or 0 when its
// header is not complete yet.
func (r *frameReader) need(b []byte) int {
	f, ok, err := parseClientFrame(b, r.limit)
	if err != nil || !ok {
		return 0
	}
	return f.hdr + f.n
}
