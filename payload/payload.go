// Package payload holds Args, the arguments of a Socket.IO event or acknowledgement as they
// arrived, shared by the server (gateway.Args) and the Go client (client.Args) so that
// both sides read arguments the same way.
//
// # Concurrency
//
// An Args value is immutable; it is safe for concurrent use.
package payload

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sockgate/sockgate/internal/socketio"
)

// Args are the arguments of an event or an acknowledgement as they arrived: raw JSON per
// argument, binary values still as placeholders, and the binary attachments. Emitting an
// Args value as the only argument (from the server or the client) sends the arguments on
// byte for byte, binaries included.
type Args struct {
	raw         []json.RawMessage
	attachments [][]byte
}

// NewArgs returns Args from raw JSON values and the attachments their placeholders refer
// to. The slices are kept, not copied.
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

// Decode decodes argument i into v with encoding/json; binary placeholders decode into
// []byte fields and values.
func (a Args) Decode(i int, v any) error {
	if i < 0 || i >= len(a.raw) {
		return fmt.Errorf("payload: argument %d of %d: missing", i, len(a.raw))
	}
	if err := socketio.Unmarshal(a.raw[i], a.attachments, v); err != nil {
		return fmt.Errorf("payload: argument %d: %w", i, err)
	}
	return nil
}

// Scan decodes the first len(dst) arguments into dst, in order; a nil entry skips its
// argument.
func (a Args) Scan(dst ...any) error {
	for i, v := range dst {
		if v == nil {
			continue
		}
		if err := a.Decode(i, v); err != nil {
			return err
		}
	}
	return nil
}

// Value returns argument i as a Go value: map[string]any, []any, string, json.Number,
// bool, nil, or []byte for binary values.
func (a Args) Value(i int) (any, error) {
	if i < 0 || i >= len(a.raw) {
		return nil, fmt.Errorf("payload: argument %d of %d: missing", i, len(a.raw))
	}
	return socketio.DecodeValue(a.raw[i], a.attachments)
}

// String returns the arguments as a JSON array, placeholders as they are, followed by the
// sizes of the attachments; for messages and logs.
func (a Args) String() string {
	var b strings.Builder
	b.WriteByte('[')
	for i, r := range a.raw {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(r)
	}
	b.WriteByte(']')
	for i, att := range a.attachments {
		fmt.Fprintf(&b, " <attachment %d: %d bytes>", i, len(att))
	}
	return b.String()
}
