package gateway

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sockgate/sockgate/adapter"
	"github.com/sockgate/sockgate/payload"
)

// Middleware runs when a socket connects to a namespace, before the CONNECT reply, in the
// order added, with a context that ends when the socket disconnects. Returning an error
// refuses the connection: the client's connect_error receives the message of a
// *ConnectError or *Error as is (with Data, or {code, details}), and the text of any other
// error, as Node's next(err) does. A gateway's handshake guards and its OnConnect hook run
// after the middleware.
type Middleware func(ctx context.Context, s *Socket) error

// Namespace is a communication channel multiplexed over connections: "/" or "/chat".
// Every method is safe for concurrent use.
type Namespace struct {
	srv     *Server
	name    string
	parent  *ParentNamespace
	adapter adapter.Adapter
	store   adapter.SessionStore // the adapter, when connection state recovery is on

	ackIDs atomic.Int64

	registry // middleware, hooks and handlers, under its own lock

	// mu guards onServerEmit, sockets, uses and removed.
	mu           sync.RWMutex
	onServerEmit map[string][]func(args Args, reply func(any))
	sockets      map[string]*Socket
	uses         int  // sockets holding the namespace, for child cleanup (children.go)
	removed      bool // an empty child, removed from the server

	closeOnce sync.Once // closeAdapter
}

// registry holds what is registered on a namespace or a parent namespace.
type registry struct {
	// regMu guards the fields below.
	regMu        sync.RWMutex
	middlewares  []Middleware
	connectHooks []Middleware // gateways' handshake guards and OnConnect hooks
	onConnection []func(*Socket)
	events       map[string]eventHandler
	rates        map[string]*rateRule // per event, from rate: tags and gateway rates
	defaultRate  *rateRule            // SetEventRate

	// owner is told when a rate limit is set, so that sockets check limits only once
	// there are some. Set at construction.
	owner *Server
}

func newNamespace(s *Server, name string, parent *ParentNamespace) *Namespace {
	return &Namespace{srv: s, name: name, parent: parent, sockets: make(map[string]*Socket), registry: registry{owner: s}}
}

// Name returns the namespace's name, such as "/chat".
func (n *Namespace) Name() string { return n.name }

// Server returns the server the namespace belongs to.
func (n *Namespace) Server() *Server { return n.srv }

// Use adds a middleware.
func (r *registry) Use(m Middleware) {
	r.regMu.Lock()
	r.middlewares = append(r.middlewares, m)
	r.regMu.Unlock()
}

// addConnectHook adds a gateway's hook, run after the middleware.
func (r *registry) addConnectHook(h Middleware) {
	r.regMu.Lock()
	r.connectHooks = append(r.connectHooks, h)
	r.regMu.Unlock()
}

// OnConnection adds a handler called for every connected socket, after the CONNECT reply.
// Event handlers registered there with Socket.On see every event of the socket: events wait
// until the connection handlers have returned.
func (r *registry) OnConnection(h func(*Socket)) {
	r.regMu.Lock()
	r.onConnection = append(r.onConnection, h)
	r.regMu.Unlock()
}

// Handle sets the handler of event for every socket. Unlike Socket.On it costs nothing
// per socket; gateways register their methods this way. A second Handle for the same
// event replaces the first.
func (r *registry) Handle(event string, h eventHandler) {
	r.regMu.Lock()
	if r.events == nil {
		r.events = make(map[string]eventHandler)
	}
	r.events[event] = h
	r.regMu.Unlock()
}

func (r *registry) eventHandler(event string) eventHandler {
	r.regMu.RLock()
	defer r.regMu.RUnlock()
	return r.events[event]
}

func (r *registry) lists() ([]Middleware, []Middleware, []func(*Socket)) {
	r.regMu.RLock()
	defer r.regMu.RUnlock()
	return r.middlewares, r.connectHooks, r.onConnection
}

// handler returns the namespace-wide handler of event, the namespace's own before its
// parent's.
func (n *Namespace) handler(event string) eventHandler {
	h := n.eventHandler(event)
	if h == nil && n.parent != nil {
		h = n.parent.eventHandler(event)
	}
	return h
}

// OnServerSideEmit handles events sent with ServerSideEmit by other nodes of a cluster.
// reply is nil when the sender awaits no acknowledgement.
func (n *Namespace) OnServerSideEmit(event string, h func(args Args, reply func(any))) {
	n.mu.Lock()
	if n.onServerEmit == nil {
		n.onServerEmit = make(map[string][]func(Args, func(any)))
	}
	n.onServerEmit[event] = append(n.onServerEmit[event], h)
	n.mu.Unlock()
}

// Sockets returns the local sockets of the namespace.
func (n *Namespace) Sockets() []*Socket {
	n.mu.RLock()
	defer n.mu.RUnlock()
	out := make([]*Socket, 0, len(n.sockets))
	for _, s := range n.sockets {
		out = append(out, s)
	}
	return out
}

// Socket returns the local socket with the given id, or nil.
func (n *Namespace) Socket(id string) *Socket {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.sockets[id]
}

// Len returns the number of local sockets.
func (n *Namespace) Len() int {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return len(n.sockets)
}

func (n *Namespace) op() BroadcastOperator { return BroadcastOperator{nsp: n} }

// Emit sends an event to every socket of the namespace.
func (n *Namespace) Emit(event string, args ...any) error { return n.op().Emit(event, args...) }

// To selects the sockets in rooms (a socket id is a room holding that socket).
func (n *Namespace) To(rooms ...string) BroadcastOperator { return n.op().To(rooms...) }

// Except excludes the sockets in rooms.
func (n *Namespace) Except(rooms ...string) BroadcastOperator { return n.op().Except(rooms...) }

// Volatile marks the broadcast as droppable for clients that cannot take it now.
func (n *Namespace) Volatile() BroadcastOperator { return n.op().Volatile() }

// Local keeps the broadcast on this node.
func (n *Namespace) Local() BroadcastOperator { return n.op().Local() }

// Timeout sets how long EmitWithAck waits for acknowledgements.
func (n *Namespace) Timeout(d time.Duration) BroadcastOperator { return n.op().Timeout(d) }

// FetchSockets returns the sockets of the namespace on every node.
func (n *Namespace) FetchSockets(ctx context.Context) ([]*RemoteSocket, error) {
	return n.op().FetchSockets(ctx)
}

// SocketsJoin makes every socket of the namespace join rooms.
func (n *Namespace) SocketsJoin(rooms ...string) { n.op().SocketsJoin(rooms...) }

// SocketsLeave makes every socket of the namespace leave rooms.
func (n *Namespace) SocketsLeave(rooms ...string) { n.op().SocketsLeave(rooms...) }

// DisconnectSockets disconnects every socket of the namespace; with closeConn their
// connections are closed too.
func (n *Namespace) DisconnectSockets(closeConn bool) { n.op().DisconnectSockets(closeConn) }

// ServerSideEmit sends an event to the namespaces of the same name on the other nodes.
func (n *Namespace) ServerSideEmit(event string, args ...any) error {
	raw, err := rawArgs(event, args)
	if err != nil {
		return err
	}
	return n.adapter.ServerSideEmit(raw)
}

// ServerSideEmitWithAck is ServerSideEmit awaiting one reply per other node until ctx ends.
func (n *Namespace) ServerSideEmitWithAck(ctx context.Context, event string, args ...any) ([]json.RawMessage, error) {
	raw, err := rawArgs(event, args)
	if err != nil {
		return nil, err
	}
	return n.adapter.ServerSideEmitWithAck(ctx, raw)
}

func rawArgs(event string, args []any) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, 0, 1+len(args))
	ev, err := json.Marshal(event)
	if err != nil {
		return nil, err
	}
	out = append(out, ev)
	for _, a := range args {
		b, err := json.Marshal(a)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// adapterView is the face a namespace shows its adapter.
type adapterView struct{ n *Namespace }

var _ adapter.Namespace = adapterView{}

func (v adapterView) Name() string { return v.n.name }

// NewAckID hands out an id from the namespace's counter, which its own acks use too.
func (v adapterView) NewAckID() int64 { return v.n.ackIDs.Add(1) - 1 }

// DispatchServerSideEmit hands an event from another node to the handlers registered with
// OnServerSideEmit.
func (v adapterView) DispatchServerSideEmit(args []json.RawMessage, reply func(json.RawMessage)) {
	v.n.dispatchServerSideEmit(args, reply)
}

// ObserveRequest hands an adapter's request to the server's observer.
func (v adapterView) ObserveRequest(kind string, d time.Duration, err error) {
	if o := v.n.srv.observer; o != nil {
		o.AdapterRequest(v.n.name, kind, d, err)
	}
}

func (n *Namespace) dispatchServerSideEmit(args []json.RawMessage, reply func(json.RawMessage)) {
	if len(args) == 0 {
		return
	}
	var event string
	if json.Unmarshal(args[0], &event) != nil {
		return
	}
	n.mu.RLock()
	hs := n.onServerEmit[event]
	n.mu.RUnlock()
	var r func(any)
	if reply != nil {
		var once sync.Once
		r = func(v any) {
			once.Do(func() {
				b, err := json.Marshal(v)
				if err != nil {
					n.srv.logger.Error("gateway: encoding server-side ack", "err", err)
					b = json.RawMessage("null")
				}
				reply(b)
			})
		}
	}
	for _, h := range hs {
		h(payload.NewArgs(args[1:], nil), r)
	}
}

// dropAcks releases the acknowledgement registrations of ack id on every local socket.
func (n *Namespace) dropAcks(id int64) {
	for _, s := range n.Sockets() {
		s.dropAck(id)
	}
}

func (n *Namespace) addSocket(s *Socket) {
	n.mu.Lock()
	n.sockets[s.id] = s
	n.mu.Unlock()
}

func (n *Namespace) removeSocket(s *Socket) {
	n.mu.Lock()
	delete(n.sockets, s.id)
	n.mu.Unlock()
}

func (n *Namespace) handlers() ([]Middleware, []Middleware, []func(*Socket)) {
	mws, hooks, conns := n.lists()
	if p := n.parent; p != nil {
		pm, ph, pc := p.lists()
		mws = append(pm[:len(pm):len(pm)], mws...)
		hooks = append(ph[:len(ph):len(ph)], hooks...)
		conns = append(pc[:len(pc):len(pc)], conns...)
	}
	return mws, hooks, conns
}

// closeAll disconnects every local socket with reason, without telling the clients
// (their connections are about to close).
func (n *Namespace) closeAll(reason DisconnectReason) {
	for _, s := range n.Sockets() {
		s.onClose(reason, false)
	}
}

// ParentNamespace creates child namespaces on demand from a name pattern; see
// Server.OfPattern. Middleware and connection handlers added to it apply to every child.
type ParentNamespace struct {
	registry // middleware, hooks and handlers applied to every child

	srv   *Server
	match func(name string, auth []byte) bool

	// mu guards children.
	mu       sync.RWMutex
	children map[*Namespace]struct{}
}

// Children returns the child namespaces that exist now: those with sockets (and, with
// Config.KeepEmptyChildNamespaces, every one created so far).
func (p *ParentNamespace) Children() []*Namespace {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]*Namespace, 0, len(p.children))
	for n := range p.children {
		out = append(out, n)
	}
	return out
}

// Emit sends an event to every socket of every child namespace.
func (p *ParentNamespace) Emit(event string, args ...any) error {
	for _, c := range p.Children() {
		if err := c.Emit(event, args...); err != nil {
			return err
		}
	}
	return nil
}
