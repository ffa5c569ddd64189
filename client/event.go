package client

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/sockgate/sockgate/payload"
)

// Names of the events a Socket emits by itself, next to the server's events.
const (
	// EventConnect: the namespace connection succeeded (also after a reconnection).
	EventConnect = "connect"
	// EventConnectError: the connection failed; Event.Err says why. A *ConnectError is a
	// refusal by the server, which is not retried.
	EventConnectError = "connect_error"
	// EventDisconnect: the socket lost its connection; Event.Reason is one of the Reason
	// constants.
	EventDisconnect = "disconnect"
)

// Names of the events a Manager emits, as in the JavaScript client.
const (
	EventOpen             = "open"              // an Engine.IO connection opened
	EventClose            = "close"             // it closed; Reason says why
	EventError            = "error"             // an attempt to open one failed; Err says why
	EventPing             = "ping"              // the server pinged
	EventUpgrade          = "upgrade"           // the connection moved to Transport
	EventReconnectAttempt = "reconnect_attempt" // attempt number Attempt starts
	EventReconnect        = "reconnect"         // reconnected after Attempt attempts
	EventReconnectError   = "reconnect_error"   // an attempt failed with Err
	EventReconnectFailed  = "reconnect_failed"  // ReconnectionAttempts used up, no more attempts
)

// Args are the arguments of an event or an acknowledgement as they arrived; see
// payload.Args, which the server shares.
type Args = payload.Args

// Event is one event received by a Socket: an event from the server, or one of
// "connect", "connect_error" and "disconnect".
type Event struct {
	// Name is the event name.
	Name string
	// Args are the arguments of a server event.
	Args Args
	// Reason is the disconnect reason of a "disconnect" event.
	Reason string
	// Err is the error of a "connect_error" event.
	Err error

	socket *Socket
	eng    *engine // the connection that carried the event, for its acknowledgement
	ackID  int64
	hasAck bool
	acked  atomic.Bool
}

// Socket returns the socket that received the event.
func (e *Event) Socket() *Socket { return e.socket }

// WantsAck reports whether the server asked for an acknowledgement.
func (e *Event) WantsAck() bool { return e.hasAck }

// Ack sends the acknowledgement with args; []byte values travel as binary attachments.
// Only the first call sends. It returns ErrNoAck when the server asked for none, and
// ErrNotConnected when the connection that carried the event is gone.
func (e *Event) Ack(args ...any) error {
	if !e.hasAck {
		return ErrNoAck
	}
	if e.acked.Swap(true) {
		return nil
	}
	return e.socket.sendAck(e.eng, e.ackID, args)
}

// Handler handles one event of a Socket.
type Handler func(e *Event)

// ManagerEvent is one event of a Manager.
type ManagerEvent struct {
	// Name is one of the Event* constants of the Manager.
	Name string
	// Attempt is the attempt number of reconnect_attempt and reconnect.
	Attempt int
	// Err is the error of error and reconnect_error.
	Err error
	// Reason is the reason of close.
	Reason string
	// Transport is the new transport of upgrade.
	Transport string
}

// listener is one registered handler.
type listener[F any] struct {
	fn    F
	once  bool
	fired atomic.Bool
}

// registry holds handlers by event name. The slices are copied on write, so that emitting
// reads them without copying and handlers may add or remove handlers while running.
type registry[F any] struct {
	mu     sync.Mutex
	byName map[string][]*listener[F]
	any    []*listener[F]
}

func (r *registry[F]) add(name string, fn F, once bool) func() {
	l := &listener[F]{fn: fn, once: once}
	r.mu.Lock()
	if r.byName == nil {
		r.byName = make(map[string][]*listener[F])
	}
	old := r.byName[name]
	r.byName[name] = append(old[:len(old):len(old)], l)
	r.mu.Unlock()
	return func() { r.remove(name, l) }
}

func (r *registry[F]) addAny(fn F) func() {
	l := &listener[F]{fn: fn}
	r.mu.Lock()
	r.any = append(r.any[:len(r.any):len(r.any)], l)
	r.mu.Unlock()
	return func() { r.removeAny(l) }
}

func without[F any](ls []*listener[F], l *listener[F]) []*listener[F] {
	for i, x := range ls {
		if x == l {
			out := make([]*listener[F], 0, len(ls)-1)
			out = append(out, ls[:i]...)
			return append(out, ls[i+1:]...)
		}
	}
	return ls
}

func (r *registry[F]) remove(name string, l *listener[F]) {
	r.mu.Lock()
	if ls := without(r.byName[name], l); len(ls) > 0 {
		r.byName[name] = ls
	} else {
		delete(r.byName, name)
	}
	r.mu.Unlock()
}

func (r *registry[F]) removeAny(l *listener[F]) {
	r.mu.Lock()
	r.any = without(r.any, l)
	r.mu.Unlock()
}

func (r *registry[F]) removeAll(name string) {
	r.mu.Lock()
	delete(r.byName, name)
	r.mu.Unlock()
}

// lookup returns the handlers of name and the catch-all handlers; the caller must not
// modify the slices.
func (r *registry[F]) lookup(name string, withAny bool) (named, anyL []*listener[F]) {
	r.mu.Lock()
	named = r.byName[name]
	if withAny {
		anyL = r.any
	}
	r.mu.Unlock()
	return named, anyL
}

// call runs the handlers of name with call, removing "once" handlers as they fire.
func (r *registry[F]) call(name string, withAny bool, call func(F)) {
	named, anyL := r.lookup(name, withAny)
	for _, l := range anyL {
		call(l.fn)
	}
	for _, l := range named {
		if l.once {
			if l.fired.Swap(true) {
				continue
			}
			r.remove(name, l)
		}
		call(l.fn)
	}
}

// On registers fn for event on s, with the first argument decoded into a T. An argument
// that does not decode is logged (Options.Logger) and fn is not called. It returns a
// function that removes the handler.
func On[T any](s *Socket, event string, fn func(T)) (off func()) {
	return s.On(event, func(e *Event) {
		var v T
		if err := e.Args.Decode(0, &v); err != nil {
			s.m.logger.Warn("client: event argument does not decode", "namespace", s.nsp, "event", event, "err", err)
			return
		}
		fn(v)
	})
}

// EmitWithAckAs is Socket.EmitWithAck with the first argument of the acknowledgement
// decoded into a T.
func EmitWithAckAs[T any](ctx context.Context, s *Socket, event string, args ...any) (T, error) {
	var v T
	a, err := s.EmitWithAck(ctx, event, args...)
	if err != nil {
		return v, err
	}
	if err := a.Decode(0, &v); err != nil {
		return v, fmt.Errorf("client: acknowledgement of %q: %w", event, err)
	}
	return v, nil
}
