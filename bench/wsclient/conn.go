package wsclient

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Opcodes of RFC 6455 §5.2.
const (
	OpContinuation = 0x0
	OpText         = 0x1
	OpBinary       = 0x2
	OpClose        = 0x8
	OpPing         = 0x9
	OpPong         = 0xa
)

// Errors of the frame reader.
var (
	ErrProtocol  = errors.New("wsclient: websocket protocol violation")
	ErrTooLarge  = errors.New("wsclient: message too large")
	ErrHandshake = errors.New("wsclient: websocket handshake refused")
)

// MaxMessage is the largest message Next accepts.
const MaxMessage = 1 << 20

// Conn is a client websocket.
type Conn struct {
	tc *net.TCPConn

	// read side: buf[r:w] holds bytes not yet consumed.
	buf  []byte
	r, w int
	frag []byte // a fragmented message being assembled
	fop  byte   // its opcode

	// wmu serializes writers; wbuf is the framing scratch.
	wmu  sync.Mutex
	wbuf []byte
}

// DefaultReadBuffer is the read buffer a Conn starts with; it grows for larger frames.
const DefaultReadBuffer = 1024

// Handshake runs the websocket opening handshake over tc for path (which carries the
// query), answering with a Conn. Bytes the server sent after its 101 response stay
// buffered for Next.
func Handshake(tc *net.TCPConn, host, path string, deadline time.Time) (*Conn, error) {
	c := &Conn{tc: tc, buf: make([]byte, DefaultReadBuffer)}
	_ = tc.SetDeadline(deadline)
	req := make([]byte, 0, 256)
	req = append(req, "GET "...)
	req = append(req, path...)
	req = append(req, " HTTP/1.1\r\nHost: "...)
	req = append(req, host...)
	req = append(req, "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: c29ja2dhdGUtYmVuY2gtMQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"...)
	if _, err := tc.Write(req); err != nil {
		return nil, fmt.Errorf("wsclient: handshake write: %w", err)
	}
	for {
		if end := bytes.Index(c.buf[:c.w], crlfcrlf); end >= 0 {
			head := c.buf[:end+4]
			status, _, _, _, err := parseResponseHead(head)
			if err != nil {
				return nil, err
			}
			if status != 101 {
				return nil, fmt.Errorf("%w: status %d", ErrHandshake, status)
			}
			c.r = end + 4
			break
		}
		if c.w == len(c.buf) {
			return nil, fmt.Errorf("%w: response head too long", ErrHandshake)
		}
		n, err := tc.Read(c.buf[c.w:])
		c.w += n
		if err != nil {
			return nil, fmt.Errorf("wsclient: handshake read: %w", err)
		}
	}
	_ = tc.SetDeadline(time.Time{})
	return c, nil
}

// TCP returns the underlying connection.
func (c *Conn) TCP() *net.TCPConn { return c.tc }

// Abort closes the connection with a reset.
func (c *Conn) Abort() error { return abort(c.tc) }

// Close closes the connection normally.
func (c *Conn) Close() error { return c.tc.Close() }

// Next returns the next message (text or binary, reassembled from fragments) or control
// frame. The payload is valid until the next call. It answers nothing by itself: a ping
// frame is returned to the caller.
func (c *Conn) Next() (op byte, payload []byte, err error) {
	for {
		fin, op, hdr, n, ok, perr := parseFrameHeader(c.buf[c.r:c.w])
		if perr != nil {
			return 0, nil, perr
		}
		if !ok || c.w-c.r < hdr+n {
			if err := c.fill(hdr + n); err != nil {
				return 0, nil, err
			}
			continue
		}
		p := c.buf[c.r+hdr : c.r+hdr+n]
		c.r += hdr + n
		if c.r == c.w {
			c.r, c.w = 0, 0
		}
		switch {
		case op >= OpClose:
			return op, p, nil
		case op == OpContinuation:
			if c.fop == 0 {
				return 0, nil, fmt.Errorf("%w: continuation without a start", ErrProtocol)
			}
			if len(c.frag)+len(p) > MaxMessage {
				return 0, nil, ErrTooLarge
			}
			c.frag = append(c.frag, p...)
			if fin {
				op, c.fop = c.fop, 0
				return op, c.frag, nil
			}
		default:
			if c.fop != 0 {
				return 0, nil, fmt.Errorf("%w: new message inside a fragmented one", ErrProtocol)
			}
			if fin {
				return op, p, nil
			}
			c.fop = op
			c.frag = append(c.frag[:0], p...)
		}
	}
}

// fill reads until need bytes (if known, else one more read) are buffered, growing or
// compacting the buffer as needed.
func (c *Conn) fill(need int) error {
	if need > MaxMessage+14 {
		return ErrTooLarge
	}
	if c.r > 0 {
		c.w = copy(c.buf, c.buf[c.r:c.w])
		c.r = 0
	}
	if need > len(c.buf) {
		nb := make([]byte, max(need, 2*len(c.buf)))
		copy(nb, c.buf[:c.w])
		c.buf = nb
	}
	n, err := c.tc.Read(c.buf[c.w:])
	c.w += n
	if err != nil {
		if n > 0 && errors.Is(err, io.EOF) {
			return nil // hand out what came before the end first
		}
		return err
	}
	return nil
}

// parseFrameHeader reads a server frame header (unmasked) from b. ok is false when b is
// too short to hold the header; n is the payload length.
func parseFrameHeader(b []byte) (fin bool, op byte, hdr, n int, ok bool, err error) {
	if len(b) < 2 {
		return false, 0, 0, 0, false, nil
	}
	fin = b[0]&0x80 != 0
	if b[0]&0x70 != 0 {
		return false, 0, 0, 0, false, fmt.Errorf("%w: reserved bits set", ErrProtocol)
	}
	op = b[0] & 0x0f
	if b[1]&0x80 != 0 {
		return false, 0, 0, 0, false, fmt.Errorf("%w: masked server frame", ErrProtocol)
	}
	switch op {
	case OpContinuation, OpText, OpBinary:
	case OpClose, OpPing, OpPong:
		if !fin || b[1]&0x7f > 125 {
			return false, 0, 0, 0, false, fmt.Errorf("%w: bad control frame", ErrProtocol)
		}
	default:
		return false, 0, 0, 0, false, fmt.Errorf("%w: opcode %d", ErrProtocol, op)
	}
	switch l := int(b[1] & 0x7f); l {
	case 126:
		if len(b) < 4 {
			return false, 0, 0, 0, false, nil
		}
		return fin, op, 4, int(binary.BigEndian.Uint16(b[2:])), true, nil
	case 127:
		if len(b) < 10 {
			return false, 0, 0, 0, false, nil
		}
		v := binary.BigEndian.Uint64(b[2:])
		if v > MaxMessage {
			return false, 0, 0, 0, false, ErrTooLarge
		}
		return fin, op, 10, int(v), true, nil
	default:
		return fin, op, 2, l, true, nil
	}
}

// WriteText sends p as one text frame.
func (c *Conn) WriteText(p []byte) error { return c.writeFrame(OpText, p) }

// WritePong answers a websocket ping.
func (c *Conn) WritePong(p []byte) error { return c.writeFrame(OpPong, p) }

// WriteClose sends a close frame with status 1000.
func (c *Conn) WriteClose() error { return c.writeFrame(OpClose, []byte{0x03, 0xe8}) }

// writeFrame frames p (masked with a zero key) and writes header and payload in one
// syscall.
func (c *Conn) writeFrame(op byte, p []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wbuf = AppendClientFrame(c.wbuf[:0], op, p)
	_, err := c.tc.Write(c.wbuf)
	return err
}

// AppendClientFrame appends one final client frame carrying p, masked with the zero key.
func AppendClientFrame(dst []byte, op byte, p []byte) []byte {
	dst = append(dst, 0x80|op)
	switch n := len(p); {
	case n <= 125:
		dst = append(dst, 0x80|byte(n))
	case n <= 0xffff:
		dst = append(dst, 0x80|126, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x80|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	dst = append(dst, 0, 0, 0, 0) // the mask key; XOR with zero leaves p as it is
	return append(dst, p...)
}

var crlfcrlf = []byte("\r\n\r\n")
