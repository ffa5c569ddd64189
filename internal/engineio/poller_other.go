//go:build !linux

package engineio

// Without epoll every websocket session has a reader goroutine.

type poller struct{}

func (*poller) remove(*wsConn) {}

type pollers struct{}

func (*pollers) stop() {}

func (s *Server) watch(c *Conn, w *wsConn) {
	s.wg.Add(1)
	go c.readBlocking(w)
}
