package interoptest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// Bin is a binary value on its way to or from the Node client. It marshals to
// {"$bin":"<base64>"}, which the driver turns into a Buffer, and unmarshals from the same
// form, so a struct with Bin fields can be sent as an argument and decoded from one. A Bin
// inside any argument, at any depth, reaches the server as a Socket.IO binary attachment.
type Bin []byte

type binWire struct {
	Bin string `json:"$bin"`
}

// MarshalJSON encodes b as {"$bin":"<base64>"}.
func (b Bin) MarshalJSON() ([]byte, error) {
	return json.Marshal(binWire{Bin: base64.StdEncoding.EncodeToString(b)})
}

// UnmarshalJSON decodes {"$bin":"<base64>"}.
func (b *Bin) UnmarshalJSON(data []byte) error {
	var w struct {
		Bin *string `json:"$bin"`
	}
	if err := json.Unmarshal(data, &w); err != nil || w.Bin == nil {
		return fmt.Errorf("interoptest: %s is not a binary value", truncate(string(data), 80))
	}
	raw, err := base64.StdEncoding.DecodeString(*w.Bin)
	if err != nil {
		return fmt.Errorf("interoptest: binary value: %w", err)
	}
	*b = raw
	return nil
}

// Values are the arguments of an event or acknowledgement as the Node client saw them,
// one JSON value each, binaries in the {"$bin":...} form.
type Values []json.RawMessage

// Len returns the number of values.
func (v Values) Len() int { return len(v) }

// Decode unmarshals value i into dst; binaries decode into Bin.
func (v Values) Decode(i int, dst any) error {
	if i < 0 || i >= len(v) {
		return fmt.Errorf("interoptest: value %d of %d: missing", i, len(v))
	}
	return json.Unmarshal(v[i], dst)
}

// Value returns value i as plain Go data (map[string]any, []any, string, float64, bool,
// nil), with every binary as []byte. It returns nil when i is out of range or the value
// is not valid JSON.
func (v Values) Value(i int) any {
	if i < 0 || i >= len(v) {
		return nil
	}
	var x any
	if json.Unmarshal(v[i], &x) != nil {
		return nil
	}
	return unwire(x)
}

// String returns the values as a JSON array, long strings shortened, for messages.
func (v Values) String() string {
	var sb strings.Builder
	sb.WriteByte('[')
	for i, r := range v {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(truncate(string(r), 200))
	}
	sb.WriteByte(']')
	return sb.String()
}

// unwire turns {"$bin":...} objects back into []byte, at any depth.
func unwire(x any) any {
	switch t := x.(type) {
	case map[string]any:
		if s, ok := t["$bin"].(string); ok && len(t) == 1 {
			if b, err := base64.StdEncoding.DecodeString(s); err == nil {
				return b
			}
		}
		for k, e := range t {
			t[k] = unwire(e)
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = unwire(e)
		}
		return t
	default:
		return x
	}
}

// marshalArgs encodes Go arguments for the driver, with HTML characters left alone so that
// strings arrive exactly as given.
func marshalArgs(args []any) (json.RawMessage, error) {
	if args == nil {
		args = []any{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(args); err != nil {
		return nil, fmt.Errorf("interoptest: encoding arguments: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("%s...(%d bytes)", s[:n], len(s))
}
