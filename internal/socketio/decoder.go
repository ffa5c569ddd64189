package socketio

import (
	"bytes"
	"encoding/json"
	"math"
	"unicode/utf8"
)

// DefaultMaxAttachments is the attachment limit of a Decoder whose MaxAttachments is zero,
// the same default as the reference parser.
const DefaultMaxAttachments = 10

// Decoder turns Engine.IO messages into packets, collecting binary attachments.
//
// A Decoder is not safe for concurrent use: each connection has one, used by its reader.
// The packets it returns keep references to the slices given to Add (Data is a sub-slice of
// the text message, each attachment is the binary message itself), so the caller must not
// reuse those buffers while the packet is in use.
type Decoder struct {
	// MaxAttachments is the largest attachment count accepted in a header; zero or less
	// means DefaultMaxAttachments.
	MaxAttachments int

	pending *Packet // binary packet still collecting attachments
	want    int     // attachment count declared by pending
	nsp     string  // last namespace seen, reused so a repeated namespace costs no allocation
}

// Add feeds one Engine.IO message: a text message without its Engine.IO type digit, or a
// binary message. It returns a complete packet, or nil while attachments are still
// expected. Any violation of the protocol returns a *ParseError, which matches
// ErrInvalidPacket, after which the caller should close the connection; the
// Decoder itself is reset and usable again.
//
// A text message while attachments are pending is an error, and so is a binary message
// when no packet is waiting for attachments.
func (d *Decoder) Add(data []byte, binary bool) (*Packet, error) {
	if binary {
		p := d.pending
		if p == nil {
			return nil, &ParseError{Reason: "binary message without a pending binary packet"}
		}
		p.Attachments = append(p.Attachments, data)
		if len(p.Attachments) < d.want {
			return nil, nil
		}
		d.pending, d.want = nil, 0
		return p, nil
	}
	if d.pending != nil {
		d.Reset()
		return nil, &ParseError{Reason: "text message while binary attachments are pending"}
	}
	p, n, err := d.parse(data)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		p.Attachments = make([][]byte, 0, n)
		d.pending, d.want = p, n
		return nil, nil
	}
	return p, nil
}

// Reset drops a partially collected packet.
func (d *Decoder) Reset() {
	d.pending, d.want = nil, 0
}

func (d *Decoder) maxAttachments() int {
	if d.MaxAttachments <= 0 {
		return DefaultMaxAttachments
	}
	return d.MaxAttachments
}

// parse decodes the header `<type>[<n>-][<namespace>,][<id>]` and validates the JSON rest,
// returning the packet and its declared attachment count.
func (d *Decoder) parse(data []byte) (*Packet, int, error) {
	if len(data) == 0 {
		return nil, 0, &ParseError{Reason: "empty message"}
	}
	c := data[0]
	if c < '0' || c > '6' {
		return nil, 0, &ParseError{Reason: "unknown packet type"}
	}
	t := PacketType(c - '0')
	i := 1

	n := 0
	if t.IsBinary() {
		limit := d.maxAttachments()
		start := i
		for i < len(data) && isDigit(data[i]) {
			n = n*10 + int(data[i]-'0')
			if n > limit {
				return nil, 0, &ParseError{Offset: start, Reason: "too many attachments"}
			}
			i++
		}
		if i == start || i >= len(data) || data[i] != '-' {
			return nil, 0, &ParseError{Offset: i, Reason: "missing attachment count"}
		}
		i++
	}

	nsp := "/"
	if i < len(data) && data[i] == '/' {
		end := bytes.IndexByte(data[i:], ',')
		var name []byte
		if end < 0 {
			name, i = data[i:], len(data)
		} else {
			name, i = data[i:i+end], i+end+1
		}
		if !utf8.Valid(name) {
			return nil, 0, &ParseError{Offset: i, Reason: "invalid UTF-8 in the namespace"}
		}
		if len(name) > 1 {
			if string(name) != d.nsp {
				d.nsp = string(name)
			}
			nsp = d.nsp
		}
	}

	var id int64
	hasID := false
	if i < len(data) && isDigit(data[i]) {
		hasID = true
		for i < len(data) && isDigit(data[i]) {
			digit := int64(data[i] - '0')
			if id > (math.MaxInt64-digit)/10 {
				return nil, 0, &ParseError{Offset: i, Reason: "ack id out of range"}
			}
			id = id*10 + digit
			i++
		}
	}

	var payload []byte
	if i < len(data) {
		payload = data[i:]
	}
	p := &Packet{Type: t, Namespace: nsp, ID: id, HasID: hasID, Data: payload}
	var spans *[maxSpans]span
	if (t == Event || t == BinaryEvent) && uint64(len(payload)) <= math.MaxUint32 {
		spans = &p.elems
	}
	nspans, err := validatePayload(t, payload, n, spans)
	if err != nil {
		if pe, ok := err.(*ParseError); ok {
			pe.Offset += i
		}
		return nil, 0, err
	}
	if spans != nil && nspans <= maxSpans {
		p.nelems = uint8(nspans + 1)
	}
	return p, n, nil
}

// validatePayload applies the reference decoder's rules for the JSON part of each type.
// Offsets in the returned error are relative to payload. With spans set, it records there
// the spans of the top-level array's first elements and returns the count of all of them.
func validatePayload(t PacketType, payload []byte, attachments int, spans *[maxSpans]span) (int, error) {
	if payload == nil {
		switch t {
		case Connect, Disconnect:
			return 0, nil
		}
		return 0, &ParseError{Reason: t.String() + " without data"}
	}
	if t == Disconnect {
		return 0, &ParseError{Reason: "DISCONNECT with data"}
	}
	s := scanner{data: payload, placeholders: t.IsBinary(), natts: attachments, spans: spans}
	start, err := s.top()
	if err != nil {
		return 0, err
	}
	switch kind := payload[start]; t {
	case Connect:
		if kind != '{' {
			return 0, &ParseError{Offset: start, Reason: "CONNECT data is not an object"}
		}
	case ConnectError:
		if kind != '{' && kind != '"' {
			return 0, &ParseError{Offset: start, Reason: "CONNECT_ERROR data is neither an object nor a string"}
		}
	case Ack, BinaryAck:
		if kind != '[' {
			return 0, &ParseError{Offset: start, Reason: t.String() + " data is not an array"}
		}
	case Event, BinaryEvent:
		if kind != '[' {
			return 0, &ParseError{Offset: start, Reason: t.String() + " data is not an array"}
		}
		if s.firstEnd == 0 {
			return 0, &ParseError{Offset: start, Reason: t.String() + " without an event name"}
		}
		name := payload[s.firstStart:s.firstEnd]
		switch {
		case name[0] == '"':
			if rawIsReserved(name) {
				return 0, &ParseError{Offset: s.firstStart, Reason: "reserved event name"}
			}
		case name[0] == '-' || isDigit(name[0]):
			// The reference parser accepts numbers as event names.
		default:
			return 0, &ParseError{Offset: s.firstStart, Reason: "event name is neither a string nor a number"}
		}
	}
	return s.nspans, nil
}

// rawIsReserved reports whether the quoted JSON string raw names a reserved event.
func rawIsReserved(raw []byte) bool {
	if bytes.IndexByte(raw, '\\') < 0 {
		return isReservedBytes(raw[1 : len(raw)-1])
	}
	var name string
	return json.Unmarshal(raw, &name) == nil && IsReserved(name)
}
