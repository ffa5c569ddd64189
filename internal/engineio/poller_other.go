//go:build !linux

package engineio

// Without epoll every websocket session has a reader goroutine.

type poller struct{}

func (*poller) remove(*wsConn) {}

type pollers struct{}

func (*pollers) stop() {}

func (s *Server) watch(c *Conn, w *wsConn) {
	if w.acquire() { // see poller_linux.go
		go c.readBlocking(w)
	}
}
