package gateway

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sockgate/sockgate/adapter"
	"github.com/sockgate/sockgate/internal/engineio"
	"github.com/sockgate/sockgate/internal/socketio"
)

// Handshake is what a socket was opened with: the Engine.IO request and the CONNECT auth
// payload.
type Handshake = adapter.Handshake

const (
	statePending int32 = iota // CONNECT received, middleware running
	stateConnected
	stateClosed
)

type jobKind uint8

const (
	jobConnect jobKind = iota
	jobEvent
	jobDisconnect
)

type job struct {
	kind   jobKind
	pkt    *socketio.Packet
	reason DisconnectReason
}

// Socket is one client's connection to one namespace. Every method is safe for concurrent
// use. Its events are handled one at a time, in arrival order, on a goroutine that exists
// only while events are waiting.
type Socket struct {
	id        string
	nsp       *Namespace
	client    *client
	handshake Handshake

	state atomic.Int32
	// replied turns true once the CONNECT reply is written; until then emits wait in
	// preBuf, so that nothing reaches the client before it.
	replied atomic.Bool

	// preMu guards preBuf.
	preMu  sync.Mutex
	preBuf [][]*engineio.Message

	// mu guards the fields below.
	mu           sync.Mutex
	queue        []job
	running      bool
	acks         map[int64]func(adapter.Ack)
	handlers     map[string][]EventHandler
	anyHandlers  []EventHandler
	onDisconnect []func(DisconnectReason)
	data         any
	ctx          context.Context
	cancel       context.CancelFunc
}

func newSocket(nsp *Namespace, cl *client, auth json.RawMessage) *Socket {
	req := cl.conn.Request()
	if len(auth) == 0 {
		auth = json.RawMessage("{}")
	}
	return &Socket{
		id:     newID(),
		nsp:    nsp,
		client: cl,
		handshake: Handshake{
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

// newID returns a 20-character random id, the length Node socket.io uses (and the Redis
// sharded adapter relies on).
func newID() string {
	var b [15]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ID returns the socket id (not the Engine.IO session id, which is a secret).
func (s *Socket) ID() string { return s.id }

// Namespace returns the socket's namespace.
func (s *Socket) Namespace() *Namespace { return s.nsp }

// Handshake returns what the socket was opened with. It must not be modified.
func (s *Socket) Handshake() *Handshake { return &s.handshake }

// DecodeAuth decodes the CONNECT auth payload into v.
func (s *Socket) DecodeAuth(v any) error { return json.Unmarshal(s.handshake.Auth, v) }

// Transport returns the current transport: "polling" or "websocket".
func (s *Socket) Transport() string { return s.client.conn.Transport() }

// Connected reports whether the socket is connected.
func (s *Socket) Connected() bool { return s.state.Load() == stateConnected }

// SetData stores v as the socket's data (Node's socket.data). It is shared with other
// nodes by FetchSockets, as JSON.
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

// DataAs returns the socket's data as a T, and whether it is one.
func DataAs[T any](s *Socket) (T, bool) {
	v, ok := s.Data().(T)
	return v, ok
}

// Context returns a context that is cancelled when the socket disconnects.
func (s *Socket) Context() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		s.ctx, s.cancel = context.WithCancel(context.Background())
		if s.state.Load() == stateClosed {
			s.cancel()
		}
	}
	return s.ctx
}

// On adds a handler for event. Handlers added in a connection handler see every event.
func (s *Socket) On(event string, h EventHandler) {
	s.mu.Lock()
	if s.handlers == nil {
		s.handlers = make(map[string][]EventHandler, 2)
	}
	s.handlers[event] = append(s.handlers[event], h)
	s.mu.Unlock()
}

// OnAny adds a handler for every event.
func (s *Socket) OnAny(h EventHandler) {
	s.mu.Lock()
	s.anyHandlers = append(s.anyHandlers, h)
	s.mu.Unlock()
}

// OnDisconnect adds a handler called once when the socket disconnects, after the handlers
// of the events received before.
func (s *Socket) OnDisconnect(h func(reason DisconnectReason)) {
	s.mu.Lock()
	s.onDisconnect = append(s.onDisconnect, h)
	s.mu.Unlock()
}

// Join adds the socket to rooms.
func (s *Socket) Join(rooms ...string) {
	if s.state.Load() == stateClosed {
		return
	}
	s.nsp.adapter.AddAll(s, rooms...)
}

// Leave removes the socket from room.
func (s *Socket) Leave(room string) { s.nsp.adapter.Del(s, room) }

// Rooms returns the rooms the socket is in, its own id first.
func (s *Socket) Rooms() []string {
	if r := s.nsp.adapter.SocketRooms(s.id); r != nil {
		return r
	}
	return []string{s.id}
}

// In reports whether the socket is in room.
func (s *Socket) In(room string) bool {
	for _, r := range s.Rooms() {
		if r == room {
			return true
		}
	}
	return false
}

// Emit sends an event to this socket. It never blocks; it fails with ErrReservedEvent for
// socket.io's reserved names and with an encoding error for values JSON cannot hold.
func (s *Socket) Emit(event string, args ...any) error {
	p, err := encodeEvent(s.nsp.name, event, args)
	if err != nil {
		return err
	}
	s.Deliver(p, adapter.Flags{})
	return nil
}

// EmitWithAck sends an event and waits for the client's acknowledgement until ctx ends.
func (s *Socket) EmitWithAck(ctx context.Context, event string, args ...any) (Args, error) {
	p, err := encodeEvent(s.nsp.name, event, args)
	if err != nil {
		return Args{}, err
	}
	p.ID, p.HasID = s.nsp.ackIDs.Add(1)-1, true
	ch := make(chan adapter.Ack, 1)
	s.DeliverWithAck(p, adapter.Flags{}, func(a adapter.Ack) { ch <- a })
	select {
	case a := <-ch:
		if a.Err != nil {
			return Args{}, a.Err
		}
		return ackArgs(a)
	case <-ctx.Done():
		s.dropAck(p.ID)
		return Args{}, ctx.Err()
	}
}

// Timeout returns a view of the socket whose EmitWithAck waits at most d.
func (s *Socket) Timeout(d time.Duration) TimedSocket { return TimedSocket{s: s, d: d} }

// TimedSocket is a Socket with an acknowledgement timeout; see Socket.Timeout.
type TimedSocket struct {
	s *Socket
	d time.Duration
}

// EmitWithAck is Socket.EmitWithAck with the timeout; it returns ErrAckTimeout when it
// passes.
func (t TimedSocket) EmitWithAck(event string, args ...any) (Args, error) {
	ctx, cancel := context.WithTimeout(context.Background(), t.d)
	defer cancel()
	a, err := t.s.EmitWithAck(ctx, event, args...)
	if errors.Is(err, context.DeadlineExceeded) {
		err = ErrAckTimeout
	}
	return a, err
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
// "io server disconnect" and does not reconnect by itself. With closeConn, every socket of
// the connection is disconnected and the connection is closed.
func (s *Socket) Disconnect(closeConn bool) {
	if !closeConn {
		s.onClose(ReasonServerNamespaceDisconnect, true)
		return
	}
	s.client.mu.Lock()
	socks := append([]*Socket(nil), s.client.sockets...)
	s.client.mu.Unlock()
	for _, x := range socks {
		x.onClose(ReasonServerNamespaceDisconnect, true)
	}
	s.client.conn.Close()
}

var _ adapter.Socket = (*Socket)(nil)

// Deliver queues an encoded packet for the socket's connection; see adapter.Socket.
func (s *Socket) Deliver(p *adapter.Packet, flags adapter.Flags) {
	s.send(p.Messages(), flags.Volatile)
}

// DeliverWithAck registers ack for p.ID and delivers p; see adapter.Socket.
func (s *Socket) DeliverWithAck(p *adapter.Packet, flags adapter.Flags, ack func(adapter.Ack)) {
	s.nsp.srv.active.add(1)
	var once sync.Once
	wrapped := func(a adapter.Ack) {
		once.Do(func() {
			ack(a)
			s.nsp.srv.active.add(-1)
		})
	}
	s.mu.Lock()
	if s.state.Load() == stateClosed {
		s.mu.Unlock()
		wrapped(adapter.Ack{Err: ErrDisconnected})
		return
	}
	if s.acks == nil {
		s.acks = make(map[int64]func(adapter.Ack), 1)
	}
	s.acks[p.ID] = wrapped
	s.mu.Unlock()
	s.Deliver(p, flags)
}

// Info describes the socket for FetchSockets; see adapter.Socket.
func (s *Socket) Info() adapter.SocketInfo {
	data, err := json.Marshal(s.Data())
	if err != nil {
		data = json.RawMessage("null")
	}
	return adapter.SocketInfo{ID: s.id, Handshake: s.handshake, Rooms: s.Rooms(), Data: data}
}

func (s *Socket) dropAck(id int64) {
	s.mu.Lock()
	fn := s.acks[id]
	delete(s.acks, id)
	s.mu.Unlock()
	if fn != nil {
		fn(adapter.Ack{Err: context.Canceled})
	}
}

// send queues messages on the connection, or holds them until the CONNECT reply.
func (s *Socket) send(msgs []*engineio.Message, volatile bool) {
	if !s.replied.Load() {
		s.preMu.Lock()
		if !s.replied.Load() {
			if !volatile && s.state.Load() != stateClosed {
				s.preBuf = append(s.preBuf, msgs)
			}
			s.preMu.Unlock()
			return
		}
		s.preMu.Unlock()
	}
	if s.state.Load() == stateClosed {
		return
	}
	if volatile {
		s.client.conn.SendVolatile(msgs...)
		return
	}
	// A full queue closes the connection (slow consumer); OnClose reports it.
	_ = s.client.conn.Send(msgs...)
}

func (s *Socket) sendPacket(p *socketio.Packet) {
	s.send(packetMessages(p), false)
}

func (s *Socket) sendAck(id int64, args []any) error {
	if len(args) == 1 {
		if _, ok := args[0].(Args); ok {
			data, atts, err := encodeArgs(args)
			if err != nil {
				return err
			}
			typ := socketio.Ack
			if len(atts) > 0 {
				typ = socketio.BinaryAck
			}
			s.sendPacket(&socketio.Packet{Type: typ, Namespace: s.nsp.name, ID: id, HasID: true, Data: data, Attachments: atts})
			return nil
		}
	}
	args, err := expandArgs(args)
	if err != nil {
		return err
	}
	// The whole Engine.IO packet in one buffer: '4', the header, the arguments.
	buf, atts, err := socketio.AppendAckPacket(append(make([]byte, 0, 64), engineio.PacketMessage), s.nsp.name, id, args)
	if err != nil {
		return fmt.Errorf("gateway: encoding acknowledgement: %w", err)
	}
	if len(atts) == 0 {
		s.send([]*engineio.Message{engineio.NewTextMessage(buf)}, false)
		return nil
	}
	msgs := make([]*engineio.Message, 0, 1+len(atts))
	msgs = append(msgs, engineio.NewTextMessage(buf))
	for _, a := range atts {
		msgs = append(msgs, engineio.NewBinaryMessage(a))
	}
	s.send(msgs, false)
	return nil
}

// enqueue appends a job to the socket's mailbox and starts its goroutine if none runs.
func (s *Socket) enqueue(j job) bool {
	s.mu.Lock()
	if j.kind == jobEvent {
		if s.state.Load() == stateClosed {
			s.mu.Unlock()
			return true
		}
		if len(s.queue) >= s.nsp.srv.cfg.EventQueueSize {
			s.mu.Unlock()
			return false
		}
	}
	s.queue = append(s.queue, j)
	start := !s.running
	s.running = true
	s.mu.Unlock()
	if start {
		s.nsp.srv.active.add(1)
		s.nsp.srv.workers.run(s.run)
	}
	return true
}

func (s *Socket) run() {
	defer s.nsp.srv.active.add(-1)
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			s.running = false
			s.queue = nil // release the backing array of a burst
			s.mu.Unlock()
			return
		}
		j := s.queue[0]
		s.queue[0] = job{}
		s.queue = s.queue[1:]
		s.mu.Unlock()
		switch j.kind {
		case jobConnect:
			s.connect()
		case jobEvent:
			if s.state.Load() == stateConnected {
				s.dispatch(j.pkt)
			}
		case jobDisconnect:
			s.mu.Lock()
			hs := s.onDisconnect
			s.onDisconnect = nil
			s.mu.Unlock()
			for _, h := range hs {
				s.protect("disconnect handler", func() { h(j.reason) })
			}
		}
	}
}

func (s *Socket) enqueueEvent(p *socketio.Packet) {
	if s.enqueue(job{kind: jobEvent, pkt: p}) {
		return
	}
	// The socket's handlers are this far behind: refuse the event visibly rather than
	// blocking the connection's reader (which also carries the acks they may wait for).
	name := eventName(p.Data)
	err := NewError(CodeResourceExhausted, "too many events waiting for this socket")
	s.reportError(name, p.HasID, p.ID, err)
}

// connect runs the middleware and connect hooks, then replies.
func (s *Socket) connect() {
	mws, hooks, conns := s.nsp.handlers()
	for _, mw := range mws {
		if err := s.protectErr("middleware", func() error { return mw(s) }); err != nil {
			s.refuse(err)
			return
		}
	}
	for _, h := range hooks {
		if err := s.protectErr("connect hook", func() error { return h(s.Context(), s) }); err != nil {
			s.refuse(err)
			return
		}
	}
	if !s.state.CompareAndSwap(statePending, stateConnected) {
		return // the connection closed while the middleware ran
	}
	s.nsp.adapter.AddAll(s)
	s.nsp.addSocket(s)
	if s.state.Load() == stateClosed {
		// onClose ran between the state change and the registration.
		s.nsp.adapter.DelAll(s)
		s.nsp.removeSocket(s)
		return
	}
	reply := &socketio.Packet{Type: socketio.Connect, Namespace: s.nsp.name,
		Data: json.RawMessage(`{"sid":"` + s.id + `"}`)}
	s.preMu.Lock()
	_ = s.client.conn.Send(packetMessages(reply)...)
	for _, msgs := range s.preBuf {
		_ = s.client.conn.Send(msgs...)
	}
	s.preBuf = nil
	s.replied.Store(true)
	s.preMu.Unlock()
	for _, h := range conns {
		s.protect("connection handler", func() { h(s) })
	}
}

// refuse answers a refused CONNECT with CONNECT_ERROR.
func (s *Socket) refuse(err error) {
	body := struct {
		Message string `json:"message"`
		Data    any    `json:"data,omitempty"`
	}{Message: err.Error()}
	var ce *ConnectError
	var ge *Error
	switch {
	case errors.As(err, &ce):
		body.Message, body.Data = ce.Message, ce.Data
	case errors.As(err, &ge):
		body.Message = ge.Message
		body.Data = struct {
			Code    Code `json:"code"`
			Details any  `json:"details,omitempty"`
		}{ge.Code, ge.Details}
	}
	data, merr := marshalNoEscape(body)
	if merr != nil {
		data = json.RawMessage(`{"message":"connection refused"}`)
	}
	s.mu.Lock()
	s.state.Store(stateClosed)
	cancel := s.cancel
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	s.client.remove(s)
	s.nsp.adapter.DelAll(s) // in case a middleware joined rooms
	_ = s.client.conn.Send(packetMessages(&socketio.Packet{Type: socketio.ConnectError, Namespace: s.nsp.name, Data: data})...)
}

// onClose ends the socket once. notify sends the client a DISCONNECT packet.
func (s *Socket) onClose(reason DisconnectReason, notify bool) {
	s.mu.Lock()
	prev := s.state.Swap(stateClosed)
	if prev == stateClosed {
		s.mu.Unlock()
		return
	}
	acks := s.acks
	s.acks = nil
	cancel := s.cancel
	s.mu.Unlock()
	if notify && prev == stateConnected {
		_ = s.client.conn.Send(packetMessages(&socketio.Packet{Type: socketio.Disconnect, Namespace: s.nsp.name})...)
	}
	s.nsp.adapter.DelAll(s)
	s.nsp.removeSocket(s)
	s.client.remove(s)
	if cancel != nil {
		cancel()
	}
	for _, fn := range acks {
		fn(adapter.Ack{Err: ErrDisconnected})
	}
	if prev == stateConnected {
		s.enqueue(job{kind: jobDisconnect, reason: reason})
	}
}

func (s *Socket) onAck(p *socketio.Packet) {
	if !p.HasID {
		return
	}
	s.mu.Lock()
	fn := s.acks[p.ID]
	delete(s.acks, p.ID)
	s.mu.Unlock()
	if fn != nil {
		fn(adapter.Ack{Data: p.Data, Attachments: p.Attachments})
	}
}

// dispatch calls the handlers of one event.
func (s *Socket) dispatch(p *socketio.Packet) {
	name, args, err := socketio.SplitEvent(p.Data)
	if err != nil {
		return // the decoder has validated the shape; nothing sensible to do
	}
	ev := &Event{Name: name, Args: Args{raw: args, attachments: p.Attachments}, socket: s, id: p.ID, hasID: p.HasID}
	s.mu.Lock()
	hs := s.handlers[name]
	anys := s.anyHandlers
	s.mu.Unlock()
	for _, h := range anys {
		s.handle(ev, h)
	}
	nh := s.nsp.handler(name)
	if nh != nil {
		s.handle(ev, nh)
	}
	for _, h := range hs {
		s.handle(ev, h)
	}
	if len(hs) == 0 && len(anys) == 0 && nh == nil {
		s.nsp.srv.logger.Debug("gateway: no handler for event", "namespace", s.nsp.name, "event", name)
	}
}

func (s *Socket) handle(ev *Event, h EventHandler) {
	defer func() {
		if r := recover(); r != nil {
			s.nsp.srv.logger.Error("gateway: handler panicked", "namespace", s.nsp.name, "event", ev.Name,
				"panic", r, "stack", string(debug.Stack()))
			err := NewError(CodeInternal, "internal error")
			if ev.hasID && !ev.acked.Swap(true) {
				s.reportError(ev.Name, true, ev.id, err)
			} else {
				s.reportError(ev.Name, false, 0, err)
			}
		}
	}()
	h(ev)
}

// ReportError tells the client that handling event failed: through the acknowledgement
// when ack is set, and always with an "exception" event. Errors that are not *Error are
// logged and reach the client as CodeInternal with a generic message.
func (s *Socket) reportError(event string, hasAck bool, ackID int64, err error) {
	body := errorBody(err, event)
	if e := (*Error)(nil); !errors.As(err, &e) {
		s.nsp.srv.logger.Error("gateway: handler error", "namespace", s.nsp.name, "event", event, "err", err)
	}
	cfg := &s.nsp.srv.cfg
	if hasAck && !cfg.DisableErrorAck {
		ack := body
		ack.Event = ""
		if data, aerr := marshalNoEscape([]any{ack}); aerr == nil {
			s.sendPacket(&socketio.Packet{Type: socketio.Ack, Namespace: s.nsp.name, ID: ackID, HasID: true, Data: data})
		}
	}
	if cfg.DisableExceptionEvent {
		return
	}
	if data, eerr := marshalNoEscape([]any{"exception", body}); eerr == nil {
		s.sendPacket(&socketio.Packet{Type: socketio.Event, Namespace: s.nsp.name, Data: data})
	}
}

// ErrorBody is what a client receives for a failed event: in the acknowledgement (without
// Event) and in the "exception" event.
type ErrorBody struct {
	Status  string `json:"status"`
	Code    Code   `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
	Event   string `json:"event,omitempty"`
}

func errorBody(err error, event string) ErrorBody {
	var e *Error
	if errors.As(err, &e) {
		return ErrorBody{Status: "error", Code: e.Code, Message: e.Message, Details: e.Details, Event: event}
	}
	return ErrorBody{Status: "error", Code: CodeInternal, Message: "internal error", Event: event}
}

func (s *Socket) protect(what string, fn func()) {
	defer func() {
		if r := recover(); r != nil {
			s.nsp.srv.logger.Error("gateway: "+what+" panicked", "namespace", s.nsp.name, "panic", r,
				"stack", string(debug.Stack()))
		}
	}()
	fn()
}

func (s *Socket) protectErr(what string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.nsp.srv.logger.Error("gateway: "+what+" panicked", "namespace", s.nsp.name, "panic", r,
				"stack", string(debug.Stack()))
			err = fmt.Errorf("%s failed", what)
		}
	}()
	return fn()
}

func eventName(data json.RawMessage) string {
	raw, err := socketio.SplitArgs(data)
	if err != nil || len(raw) == 0 {
		return ""
	}
	var name string
	if json.Unmarshal(raw[0], &name) != nil {
		return string(raw[0])
	}
	return name
}

func ackArgs(a adapter.Ack) (Args, error) {
	raw, err := socketio.SplitArgs(a.Data)
	if err != nil {
		return Args{}, fmt.Errorf("gateway: malformed acknowledgement: %w", err)
	}
	return Args{raw: raw, attachments: a.Attachments}, nil
}
