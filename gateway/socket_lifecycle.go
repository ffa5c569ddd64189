package gateway

import (
	"encoding/json"
	"errors"
	"slices"

	"github.com/sockgate/sockgate/adapter"
	"github.com/sockgate/sockgate/internal/randid"
	"github.com/sockgate/sockgate/internal/socketio"
)

const (
	statePending int32 = iota // CONNECT received, middleware running
	stateConnected
	stateClosed
)

// connect runs the middleware and connect hooks, then replies.
func (s *Socket) connect() {
	var rooms []string
	if st := s.nsp.store; st != nil {
		rooms, _ = s.restore(st)
		if !s.recovered {
			s.pid = randid.New()
		}
	}
	mws, hooks, conns := s.nsp.handlers()
	if s.recovered && !s.nsp.srv.cfg.ConnectionStateRecovery.RunMiddlewares {
		mws = nil // socket.io's skipMiddlewares
	}
	for _, mw := range mws {
		if err := s.protectErr("middleware", func() error { return mw(s.Context(), s) }); err != nil {
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
	s.client.conn.Joined() // the first namespace ends the engine's ConnectTimeout
	if o := s.nsp.srv.observer; o != nil {
		o.SocketConnected(s.nsp.name) // onClose, from here on, reports the disconnection
	}

	s.nsp.adapter.AddAll(adapterSocket{s}, rooms...)
	s.nsp.addSocket(s)
	if s.state.Load() == stateClosed {
		// onClose ran between the state change and the registration.
		s.nsp.adapter.DelAll(adapterSocket{s})
		s.nsp.removeSocket(s)
		return
	}
	data := `{"sid":"` + s.id + `"}`
	if s.pid != "" {
		pid, _ := json.Marshal(s.pid) // a restored pid comes from the adapter's store
		data = `{"sid":"` + s.id + `","pid":` + string(pid) + `}`
	}
	reply := &socketio.Packet{Type: socketio.Connect, Namespace: s.nsp.name, Data: json.RawMessage(data)}
	s.preMu.Lock()
	if s.preOverflow {
		s.preBuf = nil
		s.preMu.Unlock()
		s.nsp.srv.logger.Warn("gateway: closing a slow consumer: too many packets before its CONNECT reply",
			"namespace", s.nsp.name, "socket", s.id, "address", s.handshake.Address, "queue", s.nsp.srv.cfg.WriteQueueSize)
		s.onClose(ReasonSlowConsumer, false)
		s.client.conn.Close()
		return
	}
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
	prev := s.state.Swap(stateClosed)
	s.stopTimerLocked()
	afterFuncs := s.endContextLocked()
	s.mu.Unlock()
	runAfterFuncs(afterFuncs)
	s.client.remove(s)
	s.nsp.adapter.DelAll(adapterSocket{s}) // in case a middleware joined rooms
	if prev != stateClosed {
		s.nsp.release()
	}
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
	s.stopTimerLocked()
	s.mu.Unlock()
	if notify && prev == stateConnected {
		_ = s.client.conn.Send(packetMessages(&socketio.Packet{Type: socketio.Disconnect, Namespace: s.nsp.name})...)
	}
	if prev == stateConnected {
		// Kept for Rooms, before the socket leaves them.
		rooms := s.nsp.adapter.SocketRooms(s.id)
		if rooms == nil {
			rooms = []string{s.id}
		}
		s.mu.Lock()
		s.extrasLocked().closedRooms = rooms
		s.mu.Unlock()
		if s.nsp.store != nil && recoverableReason(reason) {
			s.persist(slices.Clone(rooms))
		}
	}
	s.nsp.adapter.DelAll(adapterSocket{s})
	s.nsp.removeSocket(s)
	s.client.remove(s)
	s.nsp.release() // the last socket of a child namespace removes it
	s.mu.Lock()
	afterFuncs := s.endContextLocked() // the context ends here, once the socket has left
	s.mu.Unlock()
	runAfterFuncs(afterFuncs)
	for _, fn := range acks {
		fn(adapter.Ack{Err: ErrDisconnected})
	}
	if prev == stateConnected {
		if o := s.nsp.srv.observer; o != nil {
			o.SocketDisconnected(s.nsp.name, reason)
		}
		s.enqueue(job{kind: jobDisconnect, reason: reason})
	}
}
