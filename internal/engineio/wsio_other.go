//go:build !linux

package engineio

import (
	"errors"
	"syscall"
)

// Without epoll every session has a reader goroutine, and every write that does not fit
// the first attempt goes to the writer goroutine; the framing is the same.

func writevNB(syscall.RawConn, *writeScratch) (int, error) { return 0, errWouldBlock }

func (ws *writeScratch) do(uintptr) bool { return true }

func writevAll(rc syscall.RawConn, bufs [][]byte) error {
	return errors.New("engineio: no raw writes on this platform")
}

type poller struct{}

func (*poller) remove(*wsConn) {}

type pollers struct{}

func (*pollers) stop() {}

func (s *Server) watch(c *Conn, w *wsConn) {
	s.wg.Add(1)
	go c.readBlocking(w)
}

// rawIO says whether sockets are read and written with raw, non-blocking calls.
const rawIO = false
