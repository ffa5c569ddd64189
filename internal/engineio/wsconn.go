package engineio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// errWouldBlock reports a non-blocking read or write that found the socket not ready.
var errWouldBlock = errors.New("engineio: would block")

// wsConn is the socket of a websocket after the opening handshake. gorilla/websocket
// answers the handshake; frames are then read and written here, straight on the
// connection (wsframe.go):
//
//   - Reading: a session's socket is watched by one of the server's pollers, which reads
//     whatever arrived without blocking and hands the frames to the session; an idle
//     session has no goroutine and no buffer. During an upgrade the probe goroutine
//     reads with blocking calls until the switch.
//   - Writing: the goroutine that sends writes the frames at once without blocking when
//     nothing is queued; only what the socket does not take goes to a writer goroutine
//     that waits for the socket (Conn.writeLoop).
type wsConn struct {
	nc  net.Conn
	rc  syscall.RawConn // nil when nc has none: then only blocking I/O is used
	fd  int             // for the poller; -1 without rc
	srv *Server

	// Read side, owned by the socket's one reader at a time (probe goroutine, then
	// poller).
	fr   frameReader
	rbuf []byte // an incomplete frame kept between reads; nil when none

	// Write side, owned by the holder of the session's writer role.
	pend [][]byte // the unwritten rest of a partial write, written before anything else

	// released once when the socket is closed, for the server's wait group.
	release   func()
	closeOnce sync.Once
	closed    atomic.Bool
	closeMu   sync.Mutex             // orders acquire with the release in close
	poller    atomic.Pointer[poller] // set while registered
}

func newWSConn(s *Server, nc net.Conn, release func()) *wsConn {
	w := &wsConn{nc: nc, fd: -1, srv: s, release: release, fr: frameReader{limit: s.cfg.MaxPayload}}
	if sc, ok := nc.(syscall.Conn); ok && rawIO {
		if rc, err := sc.SyscallConn(); err == nil {
			w.rc = rc
			_ = rc.Control(func(fd uintptr) { w.fd = int(fd) })
		}
	}
	return w
}

// close closes the socket once, leaving its poller first so that a new socket reusing
// the descriptor is never mistaken for it.
func (w *wsConn) close() {
	w.closeOnce.Do(func() {
		w.closeMu.Lock()
		w.closed.Store(true)
		w.closeMu.Unlock()
		if p := w.poller.Load(); p != nil {
			p.remove(w)
		}
		_ = w.nc.Close()
		if w.release != nil {
			w.release()
		}
	})
}

// acquire takes a share of the server's wait group for a goroutine that will use the
// socket, unless the socket is closed: while it is open its own share is held, so the
// count cannot be zero.
func (w *wsConn) acquire() bool {
	w.closeMu.Lock()
	defer w.closeMu.Unlock()
	if w.closed.Load() || w.release == nil {
		return false
	}
	w.srv.wg.Add(1)
	return true
}

// closeAfter closes the socket after d, unless the reader closes it first (on the
// client's close frame).
func (w *wsConn) closeAfter(d time.Duration) {
	time.AfterFunc(d, w.close)
}

// writeControl writes one control frame with a deadline, from a goroutine that holds
// the writer role or when no session uses the socket.
func (w *wsConn) writeControl(frame []byte, d time.Duration) error {
	_ = w.nc.SetWriteDeadline(time.Now().Add(d))
	_, err := w.nc.Write(frame)
	return err
}

// reject closes a websocket that will not carry a session, with a close code.
func (w *wsConn) reject(code int) {
	_ = w.writeControl(appendCloseFrame(nil, code), time.Second)
	w.close()
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
		if need := max(w.fr.need(w.rbuf), len(w.rbuf)+w.srv.cfg.ReadBufferSize); cap(w.rbuf) < need {
			nb := make([]byte, len(w.rbuf), need)
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

// messageFrames appends the frames of msgs to bufs as header and payload pairs that stay
// valid after the call (they belong to the messages), so that a partial write can keep
// them.
func messageFrames(bufs [][]byte, msgs []*Message, b64 bool) [][]byte {
	for _, m := range msgs {
		bufs = m.appendFrame(bufs, b64)
	}
	return bufs
}

// consumed drops the first n bytes of bufs, returning the rest.
func consumed(bufs [][]byte, n int) [][]byte {
	for len(bufs) > 0 && n >= len(bufs[0]) {
		n -= len(bufs[0])
		bufs = bufs[1:]
	}
	if len(bufs) > 0 && n > 0 {
		bufs[0] = bufs[0][n:]
	}
	return bufs
}

// writeScratch is one non-blocking write: its frame list and, on Linux, its raw write
// callback, bound once. Pooled, so that a write allocates nothing (a closure capturing
// its results would escape to the heap on every call).
type writeScratch struct {
	small [8][]byte // room for the frames of a few messages
	bufs  [][]byte
	n     int
	err   error
	fn    func(fd uintptr) bool
}

var writeScratches = sync.Pool{New: func() any {
	ws := new(writeScratch)
	ws.fn = ws.do
	return ws
}}

func getWriteScratch() *writeScratch { return writeScratches.Get().(*writeScratch) }

func putWriteScratch(ws *writeScratch) {
	clear(ws.small[:])
	ws.bufs = nil
	writeScratches.Put(ws)
}

// tryWrite writes ws.bufs without blocking and returns the rest the socket did not take
// (a copy of the list: the caller may keep it).
func (w *wsConn) tryWrite(ws *writeScratch) ([][]byte, error) {
	bufs := ws.bufs
	if w.rc == nil {
		return append([][]byte(nil), bufs...), nil
	}
	n, err := writevNB(w.rc, ws)
	if err != nil && !errors.Is(err, errWouldBlock) {
		return nil, err
	}
	rest := consumed(bufs, n)
	if len(rest) == 0 {
		return nil, nil
	}
	return append([][]byte(nil), rest...), nil
}

// writeAll writes bufs, waiting for the socket as long as its write deadline allows.
func (w *wsConn) writeAll(bufs [][]byte) error {
	if w.rc == nil {
		nb := net.Buffers(bufs)
		_, err := nb.WriteTo(w.nc)
		return err
	}
	return writevAll(w.rc, bufs)
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
			if cap(w.rbuf) < need {
				nb := make([]byte, len(w.rbuf), need)
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
	return true
}

// readFailed ends the session on a read error or a protocol violation, answering the
// latter with its close code.
func (c *Conn) readFailed(w *wsConn, err error) {
	var fe *frameError
	if errors.As(err, &fe) {
		reason := ReasonParseError
		if fe.code == closeTooBig {
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
		c.wsClose = code
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
	p, err := DecodePacket(buf)
	if err != nil {
		c.shut(ReasonParseError, err, closeNow, false)
		return false
	}
	switch p.Type {
	case PacketMessage:
		data := p.Data
		if !p.Binary {
			data = bytes.Clone(data) // p.Data aliases the read buffer
		}
		c.deliver(data, p.Binary)
	case PacketPong:
		c.onPong()
	case PacketClose:
		c.shut(ReasonTransportClose, nil, closeNow, false)
		return false
	case PacketPing:
		c.shut(ReasonTransportError, fmt.Errorf("%w: ping from the client", ErrProtocol), closeNow, false)
		return false
	}
	// open, upgrade and noop mean nothing on an established websocket.
	return true
}
