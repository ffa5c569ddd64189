package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/sockgate/sockgate/internal/eiocodec"
	"github.com/sockgate/sockgate/internal/socketio"
	"github.com/sockgate/sockgate/payload"
)

// Socket is the client side of one namespace, multiplexed with the Manager's other
// sockets over one connection, as the JavaScript client's Socket.
//
// Every method is safe for concurrent use. Handlers run on the Manager's event goroutine,
// one at a time, in the order the events arrived.
type Socket struct {
	m        *Manager
	nsp      string
	auth     []byte // encoded Options.Auth, nil when none or AuthFunc is set
	authFunc func(ctx context.Context) (any, error)
	handlers registry[Handler]
	ids      atomic.Int64 // next acknowledgement id; the protocol starts at 0

	// Guarded by m.mu.
	active     bool // wants to be connected: reconnections connect it again
	connected  bool
	id         string
	pid        string // private session id, with connection state recovery
	lastOffset string // offset of the last event, with connection state recovery
	recovered  bool
	connectOn  *engine // the connection a CONNECT was sent on, awaiting the reply
	acks       map[int64]*pendingAck
	sendBuf    []sendItem // packets emitted while not connected
	recvBuf    []*Event   // events received before the CONNECT reply was handled
	waiters    []chan error
	lastErr    error // last connect_error, to explain a failed Connect
}

// sendItem is an encoded Socket.IO packet: the Engine.IO text packet and its attachments.
type sendItem struct {
	text  []byte
	buf   *[]byte // pooled buffer holding text
	atts  [][]byte
	ackID int64 // socketio.NoID when no acknowledgement was asked for
}

func (it *sendItem) release() {
	putBuf(it.buf)
	*it = sendItem{}
}

// packets returns the Engine.IO packets of it, in order.
func (it *sendItem) packets(dst []outPacket) []outPacket {
	dst = append(dst, outPacket{data: it.text, buf: it.buf})
	for _, a := range it.atts {
		dst = append(dst, outPacket{data: a, binary: true})
	}
	return dst
}

// pendingAck waits for one acknowledgement.
type pendingAck struct {
	ch chan ackResult // buffered: the reader never waits for the caller
}

type ackResult struct {
	args Args
	err  error
}

// Namespace returns the namespace of s, such as "/" or "/chat".
func (s *Socket) Namespace() string { return s.nsp }

// Manager returns the Manager s belongs to.
func (s *Socket) Manager() *Manager { return s.m }

// ID returns the socket id the server gave, "" while not connected.
func (s *Socket) ID() string {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	return s.id
}

// Connected reports whether the namespace connection is up.
func (s *Socket) Connected() bool {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	return s.connected
}

// Active reports whether s wants to be connected: it is connected or (re)connecting. It is
// false before Connect, after Disconnect, after the server disconnected or refused it, and
// once reconnection gave up.
func (s *Socket) Active() bool {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	return s.active && (s.connected || s.m.state != stateClosed || s.m.reconnecting)
}

// Recovered reports whether the last connection restored the previous session (the
// server's connection state recovery).
func (s *Socket) Recovered() bool {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	return s.recovered
}

// On registers h for event. Besides the server's events, a socket emits "connect",
// "connect_error" and "disconnect" (EventConnect, EventConnectError, EventDisconnect).
// It returns a function that removes h.
func (s *Socket) On(event string, h Handler) (off func()) { return s.handlers.add(event, h, false) }

// Once is On for the next occurrence only.
func (s *Socket) Once(event string, h Handler) (off func()) { return s.handlers.add(event, h, true) }

// Off removes every handler of event.
func (s *Socket) Off(event string) { s.handlers.removeAll(event) }

// OnAny registers h for every server event (not connect, connect_error or disconnect);
// such handlers run before the event's own. It returns a function that removes h.
func (s *Socket) OnAny(h Handler) (off func()) { return s.handlers.addAny(h) }

// Connect connects s, opening the Manager's connection when needed, and waits until s is
// connected, the server refuses it (a *ConnectError), reconnection gives up, or ctx ends.
// When ctx ends first, s keeps trying in the background, as the JavaScript client does;
// Disconnect stops it. Connect on a connected socket returns nil at once.
func (s *Socket) Connect(ctx context.Context) error {
	m := s.m
	ch := make(chan error, 1)
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	if s.connected {
		m.mu.Unlock()
		return nil
	}
	s.waiters = append(s.waiters, ch)
	s.lastErr = nil
	s.active = true
	if !m.reconnecting {
		m.openLocked(false)
	}
	var e *engine
	if m.state == stateOpen {
		e = m.eng
	}
	m.mu.Unlock()
	if e != nil {
		s.sendConnect(e)
	}
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		m.mu.Lock()
		for i, w := range s.waiters {
			if w == ch {
				s.waiters = append(s.waiters[:i], s.waiters[i+1:]...)
				break
			}
		}
		last := s.lastErr
		m.mu.Unlock()
		if last != nil {
			return fmt.Errorf("client: connecting to %q: %w (last error: %w)", s.nsp, ctx.Err(), last)
		}
		return fmt.Errorf("client: connecting to %q: %w", s.nsp, ctx.Err())
	}
}

// notifyLocked ends the Connect waits with err (nil: connected).
func (s *Socket) notifyLocked(err error) {
	if errors.Is(err, ErrReconnectFailed) && s.lastErr != nil {
		err = fmt.Errorf("%w (last error: %w)", err, s.lastErr)
	}
	for _, w := range s.waiters {
		w <- err
	}
	s.waiters = nil
}

// Disconnect disconnects s from its namespace: the server is told, handlers see
// "disconnect" with "io client disconnect", and s is not reconnected until Connect is
// called again. The Manager's connection closes when no connected socket is left.
func (s *Socket) Disconnect() {
	s.m.mu.Lock()
	s.disconnectLocked(ErrClosed)
	s.m.destroyLocked()
	s.m.mu.Unlock()
}

// Close disconnects s and closes its Manager, ending every socket of it; use it for a
// socket from Dial.
func (s *Socket) Close() error {
	s.Disconnect()
	return s.m.Close()
}

// disconnectLocked sends DISCONNECT when connected and makes s inactive.
func (s *Socket) disconnectLocked(waitErr error) {
	if s.connected && s.m.eng != nil {
		bp := getBuf()
		b := append(*bp, eiocodec.PacketMessage)
		b = socketio.AppendHeader(b, &socketio.Packet{Type: socketio.Disconnect, Namespace: s.nsp})
		*bp = b
		if s.m.eng.pushLocked(outPacket{data: b, buf: bp}) != nil {
			putBuf(bp)
		}
	}
	wasConnected := s.connected
	s.active = false
	s.connectOn = nil
	if wasConnected {
		s.oncloseLocked(ReasonIOClientDisconnect)
	}
	s.notifyLocked(waitErr)
}

// Emit sends event with args. []byte values, at any depth, travel as binary attachments;
// they are sent as they are when the packet is written, which may be after Emit returns,
// so they must not be modified afterwards. While s is not connected, the packet waits in
// the send buffer for the (re)connection (see Options.DisableSendBuffer).
func (s *Socket) Emit(event string, args ...any) error {
	return s.send(event, args, socketio.NoID, false, nil)
}

// Volatile returns a handle whose Emit drops the packet instead of buffering it when the
// connection is not ready to write it at once, as the JavaScript client's socket.volatile.
func (s *Socket) Volatile() Volatile { return Volatile{s: s} }

// Volatile emits packets that may be lost; see Socket.Volatile.
type Volatile struct{ s *Socket }

// Emit is Socket.Emit for a packet that is dropped, without an error, unless the
// connection can write it at once.
func (v Volatile) Emit(event string, args ...any) error {
	return v.s.send(event, args, socketio.NoID, true, nil)
}

// EmitWithAck sends event with args and waits for the server's acknowledgement, whose
// arguments it returns. It fails when ctx ends, or with ErrDisconnected when the
// connection that carried the packet is lost first. A packet emitted while not connected
// waits in the send buffer, and so does its acknowledgement.
func (s *Socket) EmitWithAck(ctx context.Context, event string, args ...any) (Args, error) {
	a := &pendingAck{ch: make(chan ackResult, 1)}
	id := s.ids.Add(1) - 1
	if err := s.send(event, args, id, false, a); err != nil {
		return Args{}, err
	}
	select {
	case r := <-a.ch:
		if r.err != nil {
			return Args{}, fmt.Errorf("client: acknowledgement of %q: %w", event, r.err)
		}
		return r.args, nil
	case <-ctx.Done():
		s.forgetAck(id)
		return Args{}, fmt.Errorf("client: acknowledgement of %q: %w", event, ctx.Err())
	}
}

// send encodes event and routes it; id is the acknowledgement id or socketio.NoID.
func (s *Socket) send(event string, args []any, id int64, volatile bool, ack *pendingAck) error {
	if socketio.IsReserved(event) {
		return fmt.Errorf("%w: %q", ErrReservedEvent, event)
	}
	it, err := s.encode(event, args, id)
	if err != nil {
		return err
	}
	return s.route(it, volatile, ack)
}

// encode builds the packet once, in a pooled buffer that already holds the Engine.IO
// message type, so that it is written without another copy.
func (s *Socket) encode(event string, args []any, id int64) (sendItem, error) {
	bp := getBuf()
	b := append(*bp, eiocodec.PacketMessage)
	b, atts, err := socketio.AppendEventPacket(b, s.nsp, id, event, args)
	*bp = b
	if err != nil {
		putBuf(bp)
		return sendItem{}, fmt.Errorf("client: emit %q: %w", event, err)
	}
	return sendItem{text: b, buf: bp, atts: atts, ackID: id}, nil
}

// route sends it now, keeps it for the next connection, or drops it.
func (s *Socket) route(it sendItem, volatile bool, ack *pendingAck) error {
	m := s.m
	m.mu.Lock()
	defer m.mu.Unlock()
	var err error
	switch {
	case m.closed:
		err = ErrClosed
	case volatile:
		if !s.connected || m.eng == nil || !m.eng.writableLocked() {
			it.release()
			return nil
		}
		err = s.pushLocked(m.eng, &it)
	case s.connected && m.eng != nil:
		err = s.pushLocked(m.eng, &it)
	case m.opts.DisableSendBuffer:
		err = ErrNotConnected
	case len(s.sendBuf) >= m.opts.SendBufferSize:
		err = ErrSendBufferFull
	default:
		s.sendBuf = append(s.sendBuf, it)
		if ack != nil {
			s.addAckLocked(it.ackID, ack)
		}
		return nil
	}
	if err != nil {
		it.release()
		return err
	}
	if ack != nil {
		// Registered before the lock is released, so before the writer can send the
		// packet and the server answer it.
		s.addAckLocked(it.ackID, ack)
	}
	return nil
}

// pushLocked queues an encoded packet on e; the buffer then belongs to the writer.
func (s *Socket) pushLocked(e *engine, it *sendItem) error {
	var arr [4]outPacket
	return e.pushLocked(it.packets(arr[:0])...)
}

func (s *Socket) addAckLocked(id int64, a *pendingAck) {
	if s.acks == nil {
		s.acks = make(map[int64]*pendingAck)
	}
	s.acks[id] = a
}

// forgetAck drops a pending acknowledgement whose wait ended, and its packet if it is
// still in the send buffer, as the JavaScript client does on an ack timeout.
func (s *Socket) forgetAck(id int64) {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	delete(s.acks, id)
	for i := range s.sendBuf {
		if s.sendBuf[i].ackID == id {
			s.sendBuf[i].release()
			s.sendBuf = append(s.sendBuf[:i], s.sendBuf[i+1:]...)
			return
		}
	}
}

// sendAck answers an event from the server, on the connection that carried it.
func (s *Socket) sendAck(e *engine, id int64, args []any) error {
	bp := getBuf()
	b := append(*bp, eiocodec.PacketMessage)
	b, atts, err := socketio.AppendAckPacket(b, s.nsp, id, args)
	*bp = b
	if err != nil {
		putBuf(bp)
		return fmt.Errorf("client: acknowledgement: %w", err)
	}
	it := sendItem{text: b, buf: bp, atts: atts, ackID: socketio.NoID}
	m := s.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.eng != e || !s.connected {
		it.release()
		return ErrNotConnected
	}
	if err := s.pushLocked(e, &it); err != nil {
		it.release()
		return err
	}
	return nil
}

// sendConnect sends the CONNECT packet on e, with the auth payload (computed now when
// AuthFunc is set) and, with connection state recovery, the session to restore.
func (s *Socket) sendConnect(e *engine) {
	m := s.m
	m.mu.Lock()
	pending := s.connectOn == e
	m.mu.Unlock()
	if pending {
		return
	}
	auth := s.auth
	if s.authFunc != nil {
		v, err := s.authFunc(e.ctx)
		if err == nil {
			auth, err = encodeAuth(v)
		}
		if err != nil {
			s.authFailed(e, fmt.Errorf("client: auth for %q: %w", s.nsp, err))
			return
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.eng != e || !s.active || s.connected || s.connectOn == e {
		return
	}
	s.connectOn = e
	bp := getBuf()
	b := append(*bp, eiocodec.PacketMessage)
	b = socketio.AppendHeader(b, &socketio.Packet{Type: socketio.Connect, Namespace: s.nsp})
	b = appendConnectData(b, auth, s.pid, s.lastOffset)
	*bp = b
	if e.pushLocked(outPacket{data: b, buf: bp}) != nil {
		putBuf(bp)
	}
}

// authFailed reports an AuthFunc failure as a connect_error; the socket is not connected.
func (s *Socket) authFailed(e *engine, err error) {
	m := s.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.eng != e || !s.active {
		return
	}
	s.active = false
	s.lastErr = err
	m.post(s, &Event{Name: EventConnectError, Err: err, socket: s})
	s.notifyLocked(err)
	m.destroyLocked()
}

// appendConnectData appends the CONNECT payload: the auth object, preceded by the pid and
// offset of the session to recover when there is one (auth keys win, as with
// Object.assign in the JavaScript client).
func appendConnectData(b, auth []byte, pid, offset string) []byte {
	if pid == "" {
		return append(b, auth...)
	}
	b = append(b, `{"pid":`...)
	b = appendJSONString(b, pid)
	b = append(b, `,"offset":`...)
	b = appendJSONString(b, offset)
	if len(auth) > 2 { // "{}" adds nothing
		b = append(b, ',')
		return append(b, auth[1:]...)
	}
	return append(b, '}')
}

func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}

// encodeAuth encodes an auth payload, which must be a JSON object.
func encodeAuth(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("client: auth: %w", err)
	}
	b := bytes.TrimSpace(buf.Bytes())
	if len(b) == 0 || b[0] != '{' {
		if bytes.Equal(b, []byte("null")) {
			return nil, nil
		}
		return nil, fmt.Errorf("client: auth must encode as a JSON object, not %s", b)
	}
	return b, nil
}

// onconnectLocked handles the server's CONNECT reply: events received before it are
// delivered, the send buffer is flushed, and "connect" is emitted, in that order.
func (s *Socket) onconnectLocked(e *engine, r connectReply) {
	m := s.m
	s.id = r.SID
	s.recovered = r.PID != "" && r.PID == s.pid
	s.pid = r.PID
	s.connected = true
	s.connectOn = nil
	s.lastErr = nil
	for _, ev := range s.recvBuf {
		m.post(s, ev)
	}
	clear(s.recvBuf)
	s.recvBuf = s.recvBuf[:0]
	for i := range s.sendBuf {
		it := &s.sendBuf[i]
		if err := s.pushLocked(e, it); err != nil {
			if a := s.acks[it.ackID]; a != nil {
				delete(s.acks, it.ackID)
				a.ch <- ackResult{err: err}
			}
			it.release()
			continue
		}
		*it = sendItem{}
	}
	s.sendBuf = s.sendBuf[:0]
	m.post(s, &Event{Name: EventConnect, socket: s})
	s.notifyLocked(nil)
}

// oncloseLocked handles the loss of the connection: "disconnect" is emitted when s was
// connected, and the acknowledgements of packets already sent fail (those of buffered
// packets wait for the next connection), as in the JavaScript client.
func (s *Socket) oncloseLocked(reason string) {
	wasConnected := s.connected
	s.connected = false
	s.connectOn = nil
	s.id = ""
	if wasConnected {
		s.m.post(s, &Event{Name: EventDisconnect, Reason: reason, socket: s})
	}
	for id, a := range s.acks {
		if !s.bufferedLocked(id) {
			delete(s.acks, id)
			a.ch <- ackResult{err: ErrDisconnected}
		}
	}
	clear(s.recvBuf)
	s.recvBuf = s.recvBuf[:0]
}

func (s *Socket) bufferedLocked(id int64) bool {
	for i := range s.sendBuf {
		if s.sendBuf[i].ackID == id {
			return true
		}
	}
	return false
}

// dropSendBufLocked discards the send buffer when the Manager closes, failing the
// acknowledgements that waited with it.
func (s *Socket) dropSendBufLocked(err error) {
	for i := range s.sendBuf {
		if a := s.acks[s.sendBuf[i].ackID]; a != nil {
			delete(s.acks, s.sendBuf[i].ackID)
			a.ch <- ackResult{err: err}
		}
		s.sendBuf[i].release()
	}
	s.sendBuf = s.sendBuf[:0]
}

// onPacket routes a Socket.IO packet from the server to its socket. It runs on the
// reader of e.
func (m *Manager) onPacket(e *engine, p *socketio.Packet) {
	var ev *Event
	if p.Type == socketio.Event || p.Type == socketio.BinaryEvent {
		name, raw, err := socketio.SplitEvent(p.Data)
		if err != nil {
			e.close(ReasonParseError, err)
			return
		}
		ev = &Event{Name: name, Args: payload.NewArgs(raw, p.Attachments), eng: e, ackID: p.ID, hasAck: p.HasID}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.eng != e {
		return
	}
	s := m.sockets[p.Namespace]
	if s == nil || !s.active {
		return
	}
	switch p.Type {
	case socketio.Connect:
		if r, ok := parseConnect(p.Data); ok {
			s.onconnectLocked(e, r)
			return
		}
		err := fmt.Errorf("%w: CONNECT reply without sid: the server may be a Socket.IO v2 server, which this client cannot talk to", ErrProtocol)
		s.lastErr = err
		m.post(s, &Event{Name: EventConnectError, Err: err, socket: s})
	case socketio.Event, socketio.BinaryEvent:
		ev.socket = s
		if s.pid != "" && ev.Args.Len() > 0 {
			var off string
			if json.Unmarshal(ev.Args.Raw(ev.Args.Len()-1), &off) == nil {
				s.lastOffset = off
			}
		}
		if s.connected {
			m.post(s, ev)
		} else if len(s.recvBuf) < m.opts.EventQueueSize {
			s.recvBuf = append(s.recvBuf, ev)
		}
	case socketio.Ack, socketio.BinaryAck:
		if !p.HasID {
			return
		}
		a := s.acks[p.ID]
		if a == nil {
			return // unknown or abandoned: not an error
		}
		delete(s.acks, p.ID)
		raw, err := socketio.SplitArgs(p.Data)
		a.ch <- ackResult{args: payload.NewArgs(raw, p.Attachments), err: err}
	case socketio.Disconnect:
		s.active = false
		s.oncloseLocked(ReasonIOServerDisconnect)
		s.notifyLocked(fmt.Errorf("%w: %s", ErrDisconnected, ReasonIOServerDisconnect))
		m.destroyLocked()
	case socketio.ConnectError:
		ce := parseConnectError(p.Data)
		s.active = false
		s.connectOn = nil
		s.lastErr = ce
		m.post(s, &Event{Name: EventConnectError, Err: ce, socket: s})
		s.notifyLocked(ce)
		m.destroyLocked()
	}
}
