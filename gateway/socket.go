package gateway

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sockgate/sockgate/adapter"
	"github.com/sockgate/sockgate/internal/engineio"
	"github.com/sockgate/sockgate/internal/randid"
)

// Socket is one client's connection to one namespace. Every method is safe for concurrent
// use. Its events are handled one at a time, in arrival order, on a goroutine that exists
// only while events are waiting.
type Socket struct {
	// id is final once the connect job registers the socket: a recovered socket takes its
	// session's id, under mu, before that.
	id        string
	nsp       *Namespace
	client    *client
	handshake adapter.Handshake
	// pid and recovered (connection state recovery) are set by the connect job before the
	// socket is registered, and only read after.
	pid       string
	recovered bool

	// preOverflow (guarded by preMu): more was sent before the CONNECT reply than
	// Config.WriteQueueSize. It sits here to fill the padding after recovered.
	preOverflow bool

	state atomic.Int32
	// replied turns true once the CONNECT reply is written; until then emits wait in
	// preBuf, so that nothing reaches the client before it.
	replied atomic.Bool
	// ctxEnded: the socket's context is cancelled (endContextLocked, under mu; read
	// without it by the context's Err).
	ctxEnded atomic.Bool

	// preMu guards preBuf and preOverflow.
	preMu  sync.Mutex
	preBuf [][]*engineio.Message

	// lim is the socket's rate-limit state, created at its first limited event; only the
	// connection's reader goroutine touches it.
	lim *limiter

	// mu guards the fields below.
	mu         sync.Mutex
	queue      []job // jobs from queue[qhead] on wait; the array is kept between bursts of events
	qhead      int32
	running    bool
	overflowed bool // an event was refused for a full mailbox since it last drained
	acks       map[int64]func(adapter.Ack)
	data       any
	done       chan struct{} // the socket context's Done, made at its first call
	extras     *socketExtras // nil until one of its fields is first set
}

// socketExtras is what few sockets use: handlers of their own, values under keys, a
// disconnect timer. A socket allocates it at first use (extrasLocked), so that a socket
// that uses none of them, the common idle socket, holds none of their room. Its fields
// are guarded by the socket's mu.
type socketExtras struct {
	handlers     map[string][]eventHandler
	anyHandlers  []eventHandler
	onDisconnect []func(DisconnectReason)
	values       map[any]any     // by *Key[T]
	timer        *time.Timer     // DisconnectAfter
	afterFuncs   []*ctxAfterFunc // of the socket context: contexts derived from it
	closedRooms  []string        // the rooms when the socket disconnected, for Rooms
}

// extrasLocked returns the socket's extras, allocating them at the first call. s.mu is
// held.
func (s *Socket) extrasLocked() *socketExtras {
	if s.extras == nil {
		s.extras = &socketExtras{}
	}
	return s.extras
}

func newSocket(nsp *Namespace, cl *client, auth json.RawMessage) *Socket {
	req := cl.conn.Request()
	if len(auth) == 0 {
		auth = json.RawMessage("{}")
	}
	return &Socket{
		id:     randid.New(),
		nsp:    nsp,
		client: cl,
		handshake: adapter.Handshake{
			Headers: req.Header,
			Time:    req.Time,
			Address: req.RemoteAddr,
			XDomain: req.XDomain,
			Secure:  req.Secure,
			URL:     req.URL,
			Query:   req.Query,
			Auth:    auth,
		},
	}
}

// ID returns the socket id (not the Engine.IO session id, which is a secret).
func (s *Socket) ID() string { return s.id }

// Namespace returns the socket's namespace.
func (s *Socket) Namespace() *Namespace { return s.nsp }

// Handshake returns what the socket was opened with. It must not be modified.
func (s *Socket) Handshake() *adapter.Handshake { return &s.handshake }

// DecodeAuth decodes the CONNECT auth payload into v.
func (s *Socket) DecodeAuth(v any) error { return json.Unmarshal(s.handshake.Auth, v) }

// Transport returns the current transport: "polling" or "websocket".
func (s *Socket) Transport() string { return s.client.conn.Transport() }

// Connected reports whether the socket is connected.
func (s *Socket) Connected() bool { return s.state.Load() == stateConnected }

// SetData stores v as the socket's data (Node's socket.data): the application's own value,
// shared with other nodes by FetchSockets, as JSON. Packages that keep values on a socket
// (auth, for one) use a Key instead, so that Data stays the application's.
func (s *Socket) SetData(v any) {
	s.mu.Lock()
	s.data = v
	s.mu.Unlock()
}

// Data returns the value stored with SetData.
func (s *Socket) Data() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data
}

// Context returns a context that is cancelled when the socket disconnects.
func (s *Socket) Context() context.Context { return socketContext{s} }

// On adds a handler for event. Handlers added in a connection handler see every event.
func (s *Socket) On(event string, h eventHandler) {
	s.mu.Lock()
	x := s.extrasLocked()
	if x.handlers == nil {
		x.handlers = make(map[string][]eventHandler, 2)
	}
	x.handlers[event] = append(x.handlers[event], h)
	s.mu.Unlock()
}

// OnAny adds a handler for every event.
func (s *Socket) OnAny(h eventHandler) {
	s.mu.Lock()
	x := s.extrasLocked()
	x.anyHandlers = append(x.anyHandlers, h)
	s.mu.Unlock()
}

// OnDisconnect adds a handler called once when the socket disconnects, after the handlers
// of the events received before. Rooms still lists the rooms the socket was in.
func (s *Socket) OnDisconnect(h func(reason DisconnectReason)) {
	s.mu.Lock()
	x := s.extrasLocked()
	x.onDisconnect = append(x.onDisconnect, h)
	s.mu.Unlock()
}

// Join adds the socket to rooms.
func (s *Socket) Join(rooms ...string) {
	if s.state.Load() == stateClosed {
		return
	}
	s.nsp.adapter.AddAll(adapterSocket{s}, rooms...)
	if s.state.Load() == stateClosed {
		// The socket closed meanwhile, and its DelAll may have run before this AddAll:
		// remove it again, or the adapter would keep it for good.
		s.nsp.adapter.DelAll(adapterSocket{s})
	}
}

// Leave removes the socket from room.
func (s *Socket) Leave(room string) { s.nsp.adapter.Del(adapterSocket{s}, room) }

// Rooms returns the rooms the socket is in, its own id first. Once the socket has
// disconnected, they are the rooms it was in at that moment: its disconnect handlers
// (OnDisconnect, OnGatewayDisconnect) can still tell them, as socket.io's "disconnecting"
// event allows, although the socket has left them and broadcasts no longer reach it.
func (s *Socket) Rooms() []string {
	if s.state.Load() == stateClosed {
		s.mu.Lock()
		var r []string
		if x := s.extras; x != nil {
			r = x.closedRooms
		}
		s.mu.Unlock()
		if r != nil {
			return slices.Clone(r)
		}
	}
	if r := s.nsp.adapter.SocketRooms(s.id); r != nil {
		return r
	}
	return []string{s.id}
}

// IsInRoom reports whether the socket is in room.
func (s *Socket) IsInRoom(room string) bool {
	for _, r := range s.Rooms() {
		if r == room {
			return true
		}
	}
	return false
}

// To selects the sockets in rooms, except this one (Node's socket.to(room)).
func (s *Socket) To(rooms ...string) BroadcastOperator {
	return s.Broadcast().To(rooms...)
}

// Broadcast selects every socket of the namespace except this one.
func (s *Socket) Broadcast() BroadcastOperator {
	return BroadcastOperator{nsp: s.nsp, except: []string{s.id}}
}

// Disconnect disconnects the socket from its namespace; the client sees
// "io server disconnect" and does not reconnect by itself. The connection stays open for
// the client's other namespaces.
func (s *Socket) Disconnect() { s.onClose(ReasonServerNamespaceDisconnect, true) }

// CloseConnection disconnects every socket of the socket's connection, this one included,
// as Disconnect does, and closes the connection.
func (s *Socket) CloseConnection() {
	s.client.mu.Lock()
	socks := append([]*Socket(nil), s.client.sockets...)
	s.client.mu.Unlock()
	for _, x := range socks {
		x.onClose(ReasonServerNamespaceDisconnect, true)
	}
	s.client.conn.Close()
}
