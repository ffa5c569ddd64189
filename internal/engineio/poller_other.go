//go:build !linux

package engineio

// Without epoll every websocket session has a reader goroutine.

type poller struct{}

func (*poller) remove(*wsConn) {}

type pollers struct{}

// canDetach is false: without a poller a detached GET would need a goroutine to notice
// its client leaving, which is what it saves.
const canDetach = false

func (*Server) watchDetached(*Conn, *detachedGet) bool { return false }

func (*pollers) stop() {}

func (s *Server) watch(c *Conn, w *wsConn) {
	if w.acquire() { // see poller_linux.go
		go c.readBlocking(w)
	}
}
