package engineio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/sockgate/sockgate/internal/eiocodec"
)

// readBlocking is a session's reader goroutine where no poller watches its
// socket: the same frame handling on blocking reads.
func (c *Conn) readBlocking(w *wsConn) {
	defer c.srv.wg.Done()
	buf := make([]byte, c.srv.cfg.ReadBufferSize)
	for c.readReady(w, buf, w.nc) != readEnd {
	}
}

// readMessage reads one message or control frame with blocking reads, keeping what
// follows it in rbuf. It is the probe's reader.
func (w *wsConn) readMessage() (op byte, payload []byte, err error) {
	for {
		if len(w.rbuf) > 0 {
			n, op, p, err := w.fr.next(w.rbuf)
			if err != nil {
				return 0, nil, err
			}
			if n > 0 {
				out := bytes.Clone(p)
				if w.rbuf = w.rbuf[n:]; len(w.rbuf) == 0 {
					w.rbuf = nil
				}
				if op != 0 {
					return op, out, nil
				}
				continue
			}
		}
		if len(w.rbuf) == cap(w.rbuf) {
			// Grown with the bytes received, not to the size a header announces.
			n := len(w.rbuf) + max(len(w.rbuf), w.srv.cfg.ReadBufferSize)
			if err := w.hold(n + cap(w.fr.frag)); err != nil {
				return 0, nil, err
			}
			nb := make([]byte, len(w.rbuf), n)
			copy(nb, w.rbuf)
			w.rbuf = nb
		}
		n, err := w.nc.Read(w.rbuf[len(w.rbuf):cap(w.rbuf)])
		w.rbuf = w.rbuf[:len(w.rbuf)+n]
		if err != nil && (n == 0 || !errors.Is(err, io.EOF)) {
			return 0, nil, err
		}
	}
}

// readState is what readReady leaves a socket in.
type readState uint8

const (
	readIdle  readState = iota // drained: the next data brings a new readiness event
	readAgain                  // stopped with data perhaps still there: call again soon
	readEnd                    // the session stopped reading (closed, failed, protocol error)
)

// readRounds bounds the reads of one readReady call, so that one busy socket does not
// hold the poller from the others.
const readRounds = 4

// readReady reads what the socket holds and handles every complete frame, for the
// poller (r does not block: it returns errWouldBlock) or a blocking reader.
func (c *Conn) readReady(w *wsConn, scratch []byte, r io.Reader) readState {
	for round := 0; round < readRounds; round++ {
		// Read into scratch after what is kept of an incomplete frame, or into a buffer
		// of its own for a frame larger than scratch.
		buf, own := scratch, false
		if need := w.fr.need(w.rbuf); need > len(scratch) {
			if len(w.rbuf) == cap(w.rbuf) {
				// Grown with the bytes received, not to the size the header announces.
				n := growTo(len(w.rbuf), need)
				if err := w.hold(n + cap(w.fr.frag)); err != nil {
					c.readFailed(w, err)
					return readEnd
				}
				nb := make([]byte, len(w.rbuf), n)
				copy(nb, w.rbuf)
				w.rbuf = nb
			}
			buf, own = w.rbuf[:cap(w.rbuf)], true
		} else {
			copy(buf, w.rbuf)
		}
		have := len(w.rbuf)
		n, err := r.Read(buf[have:])
		if errors.Is(err, errWouldBlock) {
			return readIdle
		}
		if n == 0 && err == nil {
			err = io.EOF
		}
		if n > 0 && !c.handleFrames(w, buf[:have+n], own) {
			return readEnd
		}
		if err != nil {
			if n > 0 && errors.Is(err, io.EOF) {
				continue // the next read reports the end again
			}
			c.readFailed(w, err)
			return readEnd
		}
		if have+n < len(buf) {
			// A short read of a stream socket took all it held: new data raises a new
			// edge, so there is no need to read again until EAGAIN.
			return readIdle
		}
	}
	return readAgain
}

// handleFrames handles the complete frames of b and keeps an incomplete tail in rbuf;
// own says b is rbuf's own array rather than the shared scratch.
func (c *Conn) handleFrames(w *wsConn, b []byte, own bool) bool {
	for len(b) > 0 {
		n, op, p, err := w.fr.next(b)
		if err != nil {
			c.readFailed(w, err)
			return false
		}
		if n == 0 {
			break
		}
		b = b[n:]
		if op != 0 && !c.onFrame(w, op, p) {
			return false
		}
	}
	switch {
	case len(b) == 0:
		w.rbuf = nil
	case own:
		w.rbuf = w.rbuf[:copy(w.rbuf[:cap(w.rbuf)], b)]
	default:
		w.rbuf = append(make([]byte, 0, len(b)), b...)
	}
	if err := w.hold(w.heldNow()); err != nil {
		c.readFailed(w, err)
		return false
	}
	return true
}

// readFailed ends the session on a read error or a protocol violation, answering the
// latter with its close code.
func (c *Conn) readFailed(w *wsConn, err error) {
	if errors.Is(err, ErrServerBusy) {
		err = &frameError{closeTryAgain, "server busy: too many bytes held by partial messages"}
	}
	var fe *frameError
	if errors.As(err, &fe) {
		reason := ReasonParseError
		if fe.code == closeTooBig || fe.code == closeTryAgain {
			reason = ReasonTransportError
		}
		c.closeWithFrame(w, reason, err, fe.code)
		return
	}
	c.shut(ReasonTransportClose, err, closeNow, false)
	w.close()
}

// closeWithFrame ends the session and has its writer send a close frame with code and
// then drop the socket (after any frame half written). A socket whose session has
// already ended is dropped at once.
func (c *Conn) closeWithFrame(w *wsConn, reason string, err error, code int) {
	c.mu.Lock()
	open := !c.closed && c.ws == w
	if open {
		c.wsClose = uint16(code) // 1000 to 4999
		c.shutLocked(reason, err, closeFrame, false)
	}
	c.mu.Unlock()
	if !open {
		w.close()
	}
}

// onFrame handles one message or control frame of an established session.
func (c *Conn) onFrame(w *wsConn, op byte, p []byte) bool {
	switch op {
	case opBinary:
		c.deliver(bytes.Clone(p), true)
		return true
	case opText:
		if !utf8.Valid(p) {
			c.readFailed(w, &frameError{closeInvalidData, "text frame is not valid UTF-8"})
			return false
		}
		return c.onTextFrame(p)
	case opPing:
		pong := &Message{data: bytes.Clone(p), wsOp: opPong}
		pong.setHeader()
		c.mu.Lock()
		if !c.closed {
			_ = c.pushLocked(pong)
		}
		c.mu.Unlock()
		return true
	case opClose:
		// Answer with a close frame and drop the socket, as the client expects.
		code := closeNormal
		if len(p) >= 2 {
			// Codes that may not travel on the wire are answered with 1000.
			if code = int(p[0])<<8 | int(p[1]); code < closeNormal || code > 4999 || code == 1004 || code == 1005 || code == 1006 || code == 1015 {
				code = closeNormal
			}
		}
		c.closeWithFrame(w, ReasonTransportClose, nil, code)
		return false
	}
	return true // pong
}

// onTextFrame handles one Engine.IO packet of an established websocket session.
func (c *Conn) onTextFrame(buf []byte) bool {
	p, err := eiocodec.DecodePacket(buf)
	if err != nil {
		c.shut(ReasonParseError, err, closeNow, false)
		return false
	}
	switch p.Type {
	case eiocodec.PacketMessage:
		data := p.Data
		if !p.Binary {
			data = bytes.Clone(data) // p.Data aliases the read buffer
		}
		c.deliver(data, p.Binary)
	case eiocodec.PacketPong:
		c.onPong()
	case eiocodec.PacketClose:
		c.shut(ReasonTransportClose, nil, closeNow, false)
		return false
	case eiocodec.PacketPing:
		c.shut(ReasonTransportError, fmt.Errorf("%w: ping from the client", ErrProtocol), closeNow, false)
		return false
	}
	// open, upgrade and noop mean nothing on an established websocket.
	return true
}
