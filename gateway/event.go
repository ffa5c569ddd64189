package gateway

import (
	"encoding/json"
	"fmt"
	"sync/atomic"

	"github.com/sockgate/sockgate/internal/socketio"
)

// Args are the arguments of an event or an acknowledgement as they arrived: raw JSON per
// argument, binary values still as placeholders, and the binary attachments. Emitting an
// Args value as the only argument sends the arguments on byte for byte, binaries included.
type Args struct {
	raw         []json.RawMessage
	attachments [][]byte
}

// NewArgs returns Args from raw JSON values and the attachments their placeholders refer to.
func NewArgs(raw []json.RawMessage, attachments [][]byte) Args {
	return Args{raw: raw, attachments: attachments}
}

// Len returns the number of arguments.
func (a Args) Len() int { return len(a.raw) }

// Raw returns argument i as raw JSON, placeholders included, or nil when out of range.
func (a Args) Raw(i int) json.RawMessage {
	if i < 0 || i >= len(a.raw) {
		return nil
	}
	return a.raw[i]
}

// Attachments returns the binary attachments the placeholders refer to.
func (a Args) Attachments() [][]byte { return a.attachments }

// Decode decodes argument i into v. Binary placeholders decode into []byte fields and
// values.
func (a Args) Decode(i int, v any) error {
	if i < 0 || i >= len(a.raw) {
		return fmt.Errorf("gateway: argument %d of %d: missing", i, len(a.raw))
	}
	return socketio.Unmarshal(a.raw[i], a.attachments, v)
}

// Value returns argument i as a Go value: map[string]any, []any, string, json.Number, bool,
// nil, or []byte for binaries.
func (a Args) Value(i int) (any, error) {
	if i < 0 || i >= len(a.raw) {
		return nil, fmt.Errorf("gateway: argument %d of %d: missing", i, len(a.raw))
	}
	return socketio.DecodeValue(a.raw[i], a.attachments)
}

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
}

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
	if !e.hasID {
		return ErrNoAck
	}
	if e.acked.Swap(true) {
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

// EventHandler handles one event. Handlers of one socket run one at a time, in arrival
// order.
type EventHandler func(e *Event)
