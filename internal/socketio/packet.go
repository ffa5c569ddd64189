package socketio

import (
	"encoding/json"
	"errors"
	"strconv"

	"github.com/sockgate/sockgate/decorators"
)

// PacketType is the one-digit type of a Socket.IO packet.
type PacketType byte

// The packet types of Socket.IO protocol v5.
const (
	Connect      PacketType = 0
	Disconnect   PacketType = 1
	Event        PacketType = 2
	Ack          PacketType = 3
	ConnectError PacketType = 4
	BinaryEvent  PacketType = 5
	BinaryAck    PacketType = 6
)

// String returns the protocol name of t, such as "BINARY_EVENT".
func (t PacketType) String() string {
	switch t {
	case Connect:
		return "CONNECT"
	case Disconnect:
		return "DISCONNECT"
	case Event:
		return "EVENT"
	case Ack:
		return "ACK"
	case ConnectError:
		return "CONNECT_ERROR"
	case BinaryEvent:
		return "BINARY_EVENT"
	case BinaryAck:
		return "BINARY_ACK"
	}
	return "PacketType(" + strconv.Itoa(int(t)) + ")"
}

// IsBinary reports whether packets of type t carry an attachment count.
func (t PacketType) IsBinary() bool { return t == BinaryEvent || t == BinaryAck }

// Packet is one decoded or encodable Socket.IO packet.
type Packet struct {
	Type PacketType
	// Namespace is "/" when absent on the wire. AppendPacket also treats "" as "/".
	Namespace string
	// ID is the ack id; it is meaningful only when HasID is set, because 0 is a valid id.
	ID    int64
	HasID bool
	// Data is the JSON part, byte for byte as received (placeholders kept); nil when absent.
	Data json.RawMessage
	// Attachments are the binary attachments in placeholder order. On a packet returned by
	// Decoder.Add, len(Attachments) equals the count declared in the header.
	Attachments [][]byte

	// elems are the spans in Data of its top-level array's elements, recorded by the
	// Decoder while it validated Data, so that SplitEvent need not scan it again; nelems
	// is their count plus one, zero when they were not recorded (a packet built by hand,
	// or one with more than maxSpans elements).
	elems  [maxSpans]span
	nelems uint8
}

// maxSpans is how many top-level elements of an event a Packet remembers: the name and
// three arguments cover most events.
const maxSpans = 4

// span is a range of a Packet's Data.
type span struct{ start, end uint32 }

// EventName returns the name of an event packet, as SplitEvent does.
func (p *Packet) EventName() (string, error) {
	if p.nelems > 1 {
		return eventNameOf(p.Data[p.elems[0].start:p.elems[0].end])
	}
	name, _, err := splitEvent(nil, p.Data)
	return name, err
}

// SplitEvent is SplitEvent(p.Data) appending the arguments to dst: without scanning Data
// again when the Decoder has recorded its elements.
func (p *Packet) SplitEvent(dst []json.RawMessage) (string, []json.RawMessage, error) {
	if p.nelems == 0 {
		return splitEvent(dst, p.Data)
	}
	n := int(p.nelems) - 1
	if n == 0 {
		return "", nil, &ParseError{Reason: "event without a name"}
	}
	for _, e := range p.elems[1:n] {
		dst = append(dst, p.Data[e.start:e.end:e.end])
	}
	name, err := eventNameOf(p.Data[p.elems[0].start:p.elems[0].end])
	if err != nil {
		return "", nil, err
	}
	return name, dst, nil
}

// NoID is the id argument of AppendEventPacket that asks for no ack.
const NoID int64 = -1

// Errors reported by this package. Every decoding error matches ErrInvalidPacket with
// errors.Is; the connection that sent the packet must be closed.
var (
	ErrInvalidPacket = errors.New("socketio: invalid packet")
	// ErrReservedEvent is returned when encoding an event whose name is reserved (IsReserved).
	ErrReservedEvent = errors.New("socketio: reserved event name")
	// ErrInvalidPlaceholder is returned for a placeholder object whose num is missing,
	// not a non-negative integer, or out of range of the attachments.
	ErrInvalidPlaceholder = errors.New("socketio: invalid attachment placeholder")
)

// ParseError describes why a message could not be decoded. It matches ErrInvalidPacket, and
// also Err when set.
type ParseError struct {
	Offset int    // byte offset in the message where the problem was found
	Reason string // what was wrong, for logs
	Err    error  // underlying cause, such as ErrInvalidPlaceholder; may be nil
}

func (e *ParseError) Error() string {
	s := "socketio: invalid packet at byte " + strconv.Itoa(e.Offset) + ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap lets errors.Is match both ErrInvalidPacket and the cause.
func (e *ParseError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrInvalidPacket}
	}
	return []error{ErrInvalidPacket, e.Err}
}

// IsReserved reports whether event is one of the names socket.io reserves for itself
// (decorators.IsReserved, the one list). Such events are refused on input and cannot be
// emitted.
func IsReserved(event string) bool { return decorators.IsReserved(event) }

// isReservedBytes is IsReserved for a name in a packet. No reserved name is longer than
// maxReservedLen, so the conversion of the names it checks stays on the stack.
func isReservedBytes(b []byte) bool {
	return len(b) <= maxReservedLen && decorators.IsReserved(string(b))
}

// maxReservedLen is the length of the longest reserved name, "removeListener".
const maxReservedLen = len("removeListener")
