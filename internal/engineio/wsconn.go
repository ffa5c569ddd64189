package engineio

import (
	"errors"
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
	graceWait atomic.Bool            // closed by the server, waiting for the client's close frame
	closeMu   sync.Mutex             // orders acquire with the release in close
	held      atomic.Int64           // bytes taken from the server's allowance (hold); written under closeMu
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
		w.srv.partial.give(w.held.Swap(0))
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
