package socketio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// SplitArgs splits a JSON array into its raw elements, which are sub-slices of data (no
// copy, no re-encoding). Anything but one valid JSON array is an error.
func SplitArgs(data json.RawMessage) ([]json.RawMessage, error) {
	return AppendSplitArgs(nil, data)
}

// AppendSplitArgs is SplitArgs appending to dst, so that a reused slice avoids allocating.
func AppendSplitArgs(dst []json.RawMessage, data json.RawMessage) ([]json.RawMessage, error) {
	s := scanner{data: data, collect: true, elems: dst}
	start, err := s.top()
	if err != nil {
		return dst, err
	}
	if data[start] != '[' {
		return dst, &ParseError{Offset: start, Reason: "arguments are not a JSON array"}
	}
	return s.elems, nil
}

// SplitEvent splits the data of an EVENT into the event name and the raw arguments. The
// reference client allows a number as event name; it is returned as its JSON text.
func SplitEvent(data json.RawMessage) (string, []json.RawMessage, error) {
	// Room for the name and three arguments: one allocation for most events.
	return splitEvent(make([]json.RawMessage, 0, 4), data)
}

// splitEvent is SplitEvent appending the arguments to dst.
func splitEvent(dst []json.RawMessage, data json.RawMessage) (string, []json.RawMessage, error) {
	elems, err := AppendSplitArgs(dst, data)
	if err != nil {
		return "", nil, err
	}
	if len(elems) == len(dst) {
		return "", nil, &ParseError{Reason: "event without a name"}
	}
	name, err := eventNameOf(elems[len(dst)])
	if err != nil {
		return "", nil, err
	}
	// Drop the name, keeping what dst held.
	return name, append(elems[:len(dst)], elems[len(dst)+1:]...), nil
}

// eventNameOf returns the event name held by the raw JSON element name: a string, or a
// number returned as its JSON text (the reference client allows it).
func eventNameOf(name json.RawMessage) (string, error) {
	switch {
	case name[0] == '"' && bytes.IndexByte(name, '\\') < 0:
		return string(name[1 : len(name)-1]), nil
	case name[0] == '"':
		var s string
		if err := json.Unmarshal(name, &s); err != nil {
			return "", fmt.Errorf("socketio: event name: %w", err)
		}
		return s, nil
	case name[0] == '-' || isDigit(name[0]):
		return string(name), nil
	}
	return "", &ParseError{Reason: "event name is neither a string nor a number"}
}

// ResolvePlaceholders returns raw JSON in which every placeholder object
// {"_placeholder":true,"num":N} is replaced by a JSON string holding the standard base64 of
// attachments[N], so that encoding/json decodes it straight into a []byte. It returns raw
// itself, without allocating, when attachments is empty or raw holds no placeholder. An
// out-of-range or malformed placeholder, or invalid JSON, is an error.
func ResolvePlaceholders(raw json.RawMessage, attachments [][]byte) (json.RawMessage, error) {
	if len(attachments) == 0 {
		return raw, nil
	}
	s := scanner{data: raw, placeholders: true, natts: len(attachments), resolve: true, atts: attachments}
	if _, err := s.top(); err != nil {
		return nil, err
	}
	if s.out == nil {
		return raw, nil
	}
	return append(s.out, raw[s.last:]...), nil
}

// Unmarshal decodes one raw argument into v with encoding/json, after resolving
// placeholders against attachments. When v is a *[]byte and raw is a placeholder, the
// attachment itself is stored, without a base64 round trip (and without a copy).
func Unmarshal(raw json.RawMessage, attachments [][]byte, v any) error {
	if b, ok := v.(*[]byte); ok && len(attachments) > 0 {
		if n, ok := placeholderIndex(raw, len(attachments)); ok {
			*b = attachments[n]
			return nil
		}
	}
	resolved, err := ResolvePlaceholders(raw, attachments)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(resolved, v); err != nil {
		return fmt.Errorf("socketio: decode argument: %w", err)
	}
	return nil
}

// placeholderIndex reports whether raw is exactly one valid placeholder object.
func placeholderIndex(raw []byte, n int) (int, bool) {
	s := scanner{data: raw, placeholders: true, natts: n, topPlaceholder: -1}
	if _, err := s.top(); err != nil || s.topPlaceholder < 0 {
		return 0, false
	}
	return s.topPlaceholder, true
}

// DecodeValue decodes one raw argument for untyped consumers: objects become
// map[string]any, arrays []any, numbers json.Number, and placeholders the []byte
// attachments they stand for.
func DecodeValue(raw json.RawMessage, attachments [][]byte) (any, error) {
	s := scanner{data: raw, placeholders: len(attachments) > 0, natts: len(attachments)}
	if _, err := s.top(); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("socketio: decode argument: %w", err)
	}
	if len(attachments) == 0 {
		return v, nil
	}
	return replacePlaceholders(v, attachments)
}

func replacePlaceholders(v any, atts [][]byte) (any, error) {
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			r, err := replacePlaceholders(e, atts)
			if err != nil {
				return nil, err
			}
			x[i] = r
		}
	case map[string]any:
		if ph, _ := x["_placeholder"].(bool); ph {
			num, _ := x["num"].(json.Number)
			n := parseIndex([]byte(num), len(atts))
			if n < 0 {
				return nil, &ParseError{Reason: "bad placeholder num " + strconv.Quote(string(num)), Err: ErrInvalidPlaceholder}
			}
			return atts[n], nil
		}
		for k, e := range x {
			r, err := replacePlaceholders(e, atts)
			if err != nil {
				return nil, err
			}
			x[k] = r
		}
	}
	return v, nil
}
