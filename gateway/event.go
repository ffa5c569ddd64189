package gateway

import (
	"encoding/json"
	"sync/atomic"

	"github.com/sockgate/sockgate/payload"
)

// Args are the arguments of an event or an acknowledgement as they arrived; see
// payload.Args, which the Go client shares. Emitting an Args value as the only argument
// sends the arguments on byte for byte, binaries included.
type Args = payload.Args

// Event is one event received from a client.
type Event struct {
	// Name is the event name.
	Name string
	// Args are the arguments after the name.
	Args Args

	socket *Socket
	id     int64
	hasID  bool
	acked  atomic.Bool

	// Set while a gateway handler runs, for Body.
	ec    *ExecutionContext
	pipes []Pipe

	// ecMem is the first gateway handler's ExecutionContext, allocated with the event.
	ecMem  ExecutionContext
	ecUsed bool
	// argsMem holds the arguments of most events, allocated with the event.
	argsMem [maxInlineArgs]json.RawMessage
}

// maxInlineArgs is how many arguments an Event holds without a slice of their own.
const maxInlineArgs = 3

// execContext returns a fresh ExecutionContext for a gateway handler of e: the one
// allocated with the event the first time, a new one after (a guard or interceptor may
// keep the first).
func (e *Event) execContext() *ExecutionContext {
	if e.ecUsed {
		return new(ExecutionContext)
	}
	e.ecUsed = true
	return &e.ecMem
}

// Socket returns the socket the event came from.
func (e *Event) Socket() *Socket { return e.socket }

// WantsAck reports whether the client asked for an acknowledgement.
func (e *Event) WantsAck() bool { return e.hasID }

// Ack sends the acknowledgement with args. Only the first call sends; later calls return
// nil and send nothing. It returns ErrNoAck when the client asked for none.
func (e *Event) Ack(args ...any) error {
	switch {
	case !e.hasID:
		return ErrNoAck
	case e.acked.Swap(true):
		return nil
	}
	err := e.socket.sendAck(e.id, args)
	if o := e.socket.nsp.srv.observer; o != nil && err == nil {
		o.AckSent(e.socket.nsp.name)
	}
	return err
}

// Acked reports whether Ack has been called.
func (e *Event) Acked() bool { return e.acked.Load() }

// eventHandler handles one event (Socket.On, Namespace.Handle).
type eventHandler = func(e *Event)
