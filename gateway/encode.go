package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/sockgate/sockgate/adapter"
	"github.com/sockgate/sockgate/internal/engineio"
	"github.com/sockgate/sockgate/internal/socketio"
	"github.com/sockgate/sockgate/internal/wire"
)

// encodeEvent builds the EVENT packet for an emit. An Args value given as the only
// argument is passed on byte for byte, attachments included.
func encodeEvent(nsp, event string, args []any) (*adapter.Packet, error) {
	if socketio.IsReserved(event) {
		return nil, fmt.Errorf("%w: %q", ErrReservedEvent, event)
	}
	if len(args) == 1 {
		if a, ok := args[0].(Args); ok {
			return &adapter.Packet{Namespace: nsp, Data: appendRawEvent(event, a), Attachments: a.Attachments()}, nil
		}
	}
	args, err := expandArgs(args)
	if err != nil {
		return nil, err
	}
	data, atts, err := socketio.AppendEvent(nil, event, args)
	if err != nil {
		return nil, fmt.Errorf("gateway: encoding %q: %w", event, err)
	}
	return &adapter.Packet{Namespace: nsp, Data: data, Attachments: atts}, nil
}

// encodeArgs encodes acknowledgement arguments.
func encodeArgs(args []any) (json.RawMessage, [][]byte, error) {
	if len(args) == 1 {
		if a, ok := args[0].(Args); ok {
			return appendRawArray(nil, nil, a), a.Attachments(), nil
		}
	}
	args, err := expandArgs(args)
	if err != nil {
		return nil, nil, err
	}
	data, atts, err := socketio.AppendArgs(nil, args)
	if err != nil {
		return nil, nil, fmt.Errorf("gateway: encoding acknowledgement: %w", err)
	}
	return data, atts, nil
}

// expandArgs replaces Args values mixed with other arguments by their elements. Elements
// without binaries stay raw JSON; those with binaries are decoded, because their
// placeholders must be renumbered among the other arguments.
// rawSize is the encoded size of the arguments whose size is known without encoding them:
// raw JSON and strings (without their escapes), a buffer size hint.
func rawSize(args []any) int {
	n := 0
	for _, a := range args {
		switch v := a.(type) {
		case json.RawMessage:
			n += len(v) + 1
		case string:
			n += len(v) + 3
		}
	}
	return n
}

func expandArgs(args []any) ([]any, error) {
	n := -1
	for i, a := range args {
		if _, ok := a.(Args); ok {
			n = i
			break
		}
	}
	if n < 0 {
		return args, nil
	}
	out := make([]any, 0, len(args)+4)
	out = append(out, args[:n]...)
	for _, a := range args[n:] {
		aa, ok := a.(Args)
		if !ok {
			out = append(out, a)
			continue
		}
		for i := range aa.Len() {
			if len(aa.Attachments()) == 0 {
				out = append(out, aa.Raw(i))
				continue
			}
			v, err := aa.Value(i)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// appendRawEvent writes ["event",...a] with a's arguments as they are.
func appendRawEvent(event string, a Args) json.RawMessage {
	name, _ := marshalNoEscape(event)
	return appendRawArray(nil, name, a)
}

// appendRawArray writes a JSON array of first (when not nil) and a's raw arguments.
func appendRawArray(dst []byte, first json.RawMessage, a Args) json.RawMessage {
	dst = append(dst, '[')
	if first != nil {
		dst = append(dst, first...)
	}
	for i := range a.Len() {
		if i > 0 || first != nil {
			dst = append(dst, ',')
		}
		dst = append(dst, a.Raw(i)...)
	}
	return append(dst, ']')
}

func packetMessages(p *socketio.Packet) []*engineio.Message { return wire.Messages(p) }

// marshalNoEscape is json.Marshal without HTML escaping, the way JavaScript writes JSON.
func marshalNoEscape(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
