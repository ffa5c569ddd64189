package gateway

import (
	"encoding/json"
	"errors"
	"sync"

	"github.com/sockgate/sockgate/internal/engineio"
	"github.com/sockgate/sockgate/internal/socketio"
	"github.com/sockgate/sockgate/internal/wire"
)

// engineHandler receives the Engine.IO events of a Server.
type engineHandler Server

// client is one Engine.IO connection and the sockets multiplexed over it.
type client struct {
	srv  *Server
	conn *engineio.Conn

	// dec is used only from OnMessage, which engineio never calls concurrently for a conn.
	dec socketio.Decoder

	// mu guards sockets and closed.
	mu      sync.Mutex
	sockets []*Socket // one per namespace; almost always one or two
	closed  bool
}

func (h *engineHandler) OnOpen(c *engineio.Conn) {
	s := (*Server)(h)
	cl := &client{srv: s, conn: c}
	c.SetContext(cl)
	// The engine closes the connection unless a namespace connection succeeds within
	// ConnectTimeout (Socket.connect calls conn.Joined).
}

func (h *engineHandler) OnMessage(c *engineio.Conn, data []byte, binary bool) {
	cl, _ := c.Context().(*client)
	if cl == nil {
		return
	}
	p, err := cl.dec.Add(data, binary)
	if err != nil {
		cl.srv.logger.Debug("gateway: closing connection on invalid packet", "sid", c.ID(), "err", err)
		c.Close()
		return
	}
	if p != nil {
		cl.onPacket(p)
	}
}

func (h *engineHandler) OnClose(c *engineio.Conn, reason string, err error) {
	cl, _ := c.Context().(*client)
	if cl == nil {
		return
	}
	if errors.Is(err, engineio.ErrQueueFull) {
		reason = string(ReasonSlowConsumer)
		cl.srv.logger.Warn("gateway: closing a slow consumer: its write queue is full",
			"sid", c.ID(), "address", c.Request().RemoteAddr, "queue", cl.srv.cfg.WriteQueueSize)
		if o := cl.srv.observer; o != nil {
			o.SlowConsumer()
		}
	}
	cl.mu.Lock()
	cl.closed = true
	socks := cl.sockets
	cl.sockets = nil
	cl.mu.Unlock()
	for _, sock := range socks {
		sock.onClose(DisconnectReason(reason), false)
	}
}

func (cl *client) socket(nsp string) *Socket {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	for _, s := range cl.sockets {
		if s.nsp.name == nsp {
			return s
		}
	}
	return nil
}

func (cl *client) remove(s *Socket) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	for i, x := range cl.sockets {
		if x == s {
			cl.sockets = append(cl.sockets[:i], cl.sockets[i+1:]...)
			return
		}
	}
}

// onPacket routes one decoded packet. Protocol violations close the whole connection, as
// the Node server does.
func (cl *client) onPacket(p *socketio.Packet) {
	switch p.Type {
	case socketio.Connect:
		cl.onConnect(p)
	case socketio.Disconnect:
		if s := cl.socket(p.Namespace); s != nil {
			s.onClose(ReasonClientNamespaceDisconnect, false)
			return
		}
		cl.conn.Close()
	case socketio.Event, socketio.BinaryEvent:
		if s := cl.socket(p.Namespace); s != nil {
			s.enqueueEvent(p)
			return
		}
		cl.conn.Close()
	case socketio.Ack, socketio.BinaryAck:
		if s := cl.socket(p.Namespace); s != nil {
			s.onAck(p)
			return
		}
		cl.conn.Close()
	default: // a client may not send CONNECT_ERROR
		cl.conn.Close()
	}
}

var invalidNamespace = json.RawMessage(`{"message":"Invalid namespace"}`)

func (cl *client) onConnect(p *socketio.Packet) {
	if cl.srv.closing.Load() {
		cl.sendPacket(&socketio.Packet{Type: socketio.ConnectError, Namespace: p.Namespace,
			Data: json.RawMessage(`{"message":"Server is shutting down"}`)})
		return
	}
	nsp, refusal := cl.srv.lookup(p.Namespace, p.Data)
	if nsp == nil {
		cl.sendPacket(&socketio.Packet{Type: socketio.ConnectError, Namespace: p.Namespace, Data: refusal})
		return
	}
	// The socket made below holds the use lookup took until it closes.
	cl.mu.Lock()
	if cl.closed {
		cl.mu.Unlock()
		nsp.release()
		return
	}
	for _, s := range cl.sockets {
		if s.nsp == nsp {
			// A second CONNECT to a joined namespace is a protocol violation.
			cl.mu.Unlock()
			nsp.release()
			cl.conn.Close()
			return
		}
	}
	s := newSocket(nsp, cl, p.Data)
	cl.sockets = append(cl.sockets, s)
	cl.mu.Unlock()
	s.enqueue(job{kind: jobConnect})
}

// sendPacket writes a packet meant for this connection alone.
func (cl *client) sendPacket(p *socketio.Packet) error {
	return cl.conn.Send(wire.Messages(p)...)
}
