package proto

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Frames with a fixed content.
var (
	Connect     = []byte("40")
	Ping        = []byte("2")
	Pong        = []byte("3")
	ProbePing   = []byte("2probe")
	ProbePong   = []byte("3probe")
	Upgrade     = []byte("5")
	Noop        = []byte("6")
	tKey        = []byte(`"t":`)
	echoPrefix  = []byte(`["echo",`)
	bcastPrefix = []byte(`["bcast",`)
)

// padding holds the 'x' run payloads are padded with.
var padding = bytes.Repeat([]byte{'x'}, 64<<10)

// AppendPayload appends {"t":t,"p":"x…"} with pad bytes of padding (at most 64 KiB).
func AppendPayload(dst []byte, t int64, pad int) []byte {
	dst = append(dst, `{"t":`...)
	dst = strconv.AppendInt(dst, t, 10)
	dst = append(dst, `,"p":"`...)
	dst = append(dst, padding[:min(max(pad, 0), len(padding))]...)
	return append(dst, `"}`...)
}

// AppendEcho appends the frame 42<id>["echo",payload].
func AppendEcho(dst []byte, id uint64, t int64, pad int) []byte {
	dst = append(dst, '4', '2')
	dst = strconv.AppendUint(dst, id, 10)
	dst = append(dst, echoPrefix...)
	dst = AppendPayload(dst, t, pad)
	return append(dst, ']')
}

// AppendBcast appends the frame 42["bcast","<room>",payload]. room must need no JSON
// escaping.
func AppendBcast(dst []byte, room string, t int64, pad int) []byte {
	dst = append(dst, '4', '2')
	dst = append(dst, bcastPrefix...)
	dst = append(dst, '"')
	dst = append(dst, room...)
	dst = append(dst, '"', ',')
	dst = AppendPayload(dst, t, pad)
	return append(dst, ']')
}

// ScanT returns the integer after the first "t": in b: the timestamp of a payload.
func ScanT(b []byte) (int64, bool) {
	i := bytes.Index(b, tKey)
	if i < 0 {
		return 0, false
	}
	return parseInt(b[i+len(tKey):])
}

// parseInt parses the leading decimal digits of b (an optional '-' first).
func parseInt(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && b[0] == '-' {
		neg, b = true, b[1:]
	}
	var v int64
	n := 0
	for ; n < len(b) && n < 19 && b[n] >= '0' && b[n] <= '9'; n++ {
		v = v*10 + int64(b[n]-'0')
	}
	if n == 0 {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// ParseAck reads a frame 43<id>[...]: it returns the ack id and the arguments from '['.
func ParseAck(b []byte) (id uint64, args []byte, ok bool) {
	if len(b) < 4 || b[0] != '4' || b[1] != '3' {
		return 0, nil, false
	}
	id, n, ok := leadingUint(b[2:])
	if !ok || 2+n >= len(b) || b[2+n] != '[' {
		return 0, nil, false
	}
	return id, b[2+n:], true
}

// leadingUint parses the decimal digits at the start of b, returning their count.
func leadingUint(b []byte) (uint64, int, bool) {
	var v uint64
	n := 0
	for ; n < len(b) && b[n] >= '0' && b[n] <= '9'; n++ {
		if n == 19 {
			return 0, 0, false // beyond what an ack id can be
		}
		v = v*10 + uint64(b[n]-'0')
	}
	return v, n, n > 0
}

// IsEvent reports whether a frame is a Socket.IO EVENT of the main namespace whose
// arguments start with the event name ev: 42["ev"... or 42<id>["ev"....
func IsEvent(b []byte, ev string) bool {
	if len(b) < 4 || b[0] != '4' || b[1] != '2' {
		return false
	}
	i := 2
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	rest := b[i:]
	return len(rest) >= len(ev)+3 && rest[0] == '[' && rest[1] == '"' &&
		string(rest[2:2+len(ev)]) == ev && rest[2+len(ev)] == '"'
}

// Event is an EVENT frame cut at its parts, without decoding; every slice aliases the
// frame.
type Event struct {
	ID    []byte // ack id digits, empty when no ack is asked for
	Name  []byte // the event name, still quoted-escaped if it had escapes
	Args  []byte // the arguments after the name, each still JSON, comma separated
	Frame []byte
}

// ParseEvent cuts a frame 42[<id>]["name",args...] (main namespace, no attachments).
func ParseEvent(b []byte) (Event, bool) {
	if len(b) < 5 || b[0] != '4' || b[1] != '2' {
		return Event{}, false
	}
	i := 2
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	ev := Event{ID: b[2:i], Frame: b}
	if i+1 >= len(b) || b[i] != '[' || b[i+1] != '"' || b[len(b)-1] != ']' {
		return Event{}, false
	}
	end := stringEnd(b, i+1)
	if end < 0 || end+1 >= len(b) {
		return Event{}, false
	}
	ev.Name = b[i+2 : end]
	rest := b[end+1 : len(b)-1]
	switch {
	case len(rest) == 0:
	case rest[0] == ',':
		ev.Args = rest[1:]
	default:
		return Event{}, false
	}
	return ev, true
}

// stringEnd returns the index of the quote closing the JSON string opening at b[start],
// or -1.
func stringEnd(b []byte, start int) int {
	for j := start + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j
		}
	}
	return -1
}

// SplitFirstString cuts args that start with a JSON string without escapes: it returns
// the string's content and the arguments after it (without the comma).
func SplitFirstString(args []byte) (s, rest []byte, ok bool) {
	if len(args) < 2 || args[0] != '"' {
		return nil, nil, false
	}
	end := stringEnd(args, 0)
	if end < 0 || bytes.IndexByte(args[1:end], '\\') >= 0 {
		return nil, nil, false
	}
	s, rest = args[1:end], args[end+1:]
	if len(rest) > 0 {
		if rest[0] != ',' {
			return nil, nil, false
		}
		rest = rest[1:]
	}
	return s, rest, true
}

// AppendAckFor appends the ack 43<id>[args] answering ev.
func AppendAckFor(dst []byte, ev Event) []byte {
	dst = append(dst, '4', '3')
	dst = append(dst, ev.ID...)
	dst = append(dst, '[')
	dst = append(dst, ev.Args...)
	return append(dst, ']')
}

// AppendMessageEvent appends 42["m",payload]: what a broadcast delivers.
func AppendMessageEvent(dst, payload []byte) []byte {
	dst = append(dst, `42["m",`...)
	dst = append(dst, payload...)
	return append(dst, ']')
}

// Open is the part of the Engine.IO open packet the generator uses.
type Open struct {
	SID          string   `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval int      `json:"pingInterval"`
	PingTimeout  int      `json:"pingTimeout"`
	MaxPayload   int      `json:"maxPayload"`
}

// ErrNotOpen is returned by ParseOpen for anything but an open packet.
var ErrNotOpen = errors.New("proto: not an Engine.IO open packet")

// ParseOpen parses 0{...}, the first packet of a session.
func ParseOpen(b []byte) (Open, error) {
	var o Open
	if len(b) < 2 || b[0] != '0' {
		return o, ErrNotOpen
	}
	if err := json.Unmarshal(b[1:], &o); err != nil {
		return o, fmt.Errorf("%w: %w", ErrNotOpen, err)
	}
	if o.SID == "" {
		return o, fmt.Errorf("%w: no sid", ErrNotOpen)
	}
	return o, nil
}

// AppendOpen appends a canned open packet: what the limit server answers a handshake with.
func AppendOpen(dst []byte, sid string, upgrades bool, pingInterval, pingTimeout, maxPayload int) []byte {
	dst = append(dst, `0{"sid":"`...)
	dst = append(dst, sid...)
	if upgrades {
		dst = append(dst, `","upgrades":["websocket"],"pingInterval":`...)
	} else {
		dst = append(dst, `","upgrades":[],"pingInterval":`...)
	}
	dst = strconv.AppendInt(dst, int64(pingInterval), 10)
	dst = append(dst, `,"pingTimeout":`...)
	dst = strconv.AppendInt(dst, int64(pingTimeout), 10)
	dst = append(dst, `,"maxPayload":`...)
	dst = strconv.AppendInt(dst, int64(maxPayload), 10)
	return append(dst, '}')
}

// IsConnectReply reports whether a frame is the CONNECT reply of the main namespace,
// 40{"sid":...}.
func IsConnectReply(b []byte) bool {
	return len(b) > 2 && b[0] == '4' && b[1] == '0' && b[2] == '{'
}

// IsConnectError reports whether a frame is a CONNECT_ERROR of the main namespace.
func IsConnectError(b []byte) bool {
	return len(b) >= 2 && b[0] == '4' && b[1] == '4'
}

// SplitPayload calls fn for each packet of a polling payload (packets separated by 0x1e).
func SplitPayload(b []byte, fn func(packet []byte)) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, 0x1e)
		if i < 0 {
			fn(b)
			return
		}
		fn(b[:i])
		b = b[i+1:]
	}
}
