package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sockgate/sockgate/auth"
	"github.com/sockgate/sockgate/gateway"
	"github.com/sockgate/sockgate/pipes/sanitize"
)

// Every string a client sends and others receive is either checked against a safe form
// (names, message ids, user ids of development tokens) or passed through the strict HTML
// policy of package sanitize (message texts, the user ids of other issuers' tokens, the
// strings of free-form objects), so that a page inserting them as HTML shows text only.

// maxIDLength bounds a message id given as a string.
const maxIDLength = 64

// isNameRune reports whether r may appear in a room, channel, event or user name: letters,
// combining marks, digits and - _ . : and nothing that HTML or the terminal would read.
func isNameRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r) || strings.ContainsRune("-_.:", r)
}

// checkName refuses names that are empty, longer than max characters, or hold a
// character other than those of isNameRune.
func checkName(s string, max int) bool {
	if c := utf8.RuneCountInString(s); c == 0 || c > max || !utf8.ValidString(s) {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool { return !isNameRune(r) }) < 0
}

// MessageID is the client's id of a message, echoed to it and relayed to others as sent:
// a JSON number, or a string of 1 to 64 letters, digits, - _ . or :.
type MessageID json.RawMessage

// UnmarshalJSON accepts a number or a string of the safe form.
func (m *MessageID) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) > 0 && (b[0] == '-' || '0' <= b[0] && b[0] <= '9') && len(b) <= 32:
		// encoding/json has checked the number's syntax.
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil || !checkName(s, maxIDLength) {
			return errBadMessageID
		}
	default:
		return errBadMessageID
	}
	*m = MessageID(bytes.Clone(b))
	return nil
}

// MarshalJSON writes the id as it was received.
func (m MessageID) MarshalJSON() ([]byte, error) {
	if len(m) == 0 {
		return []byte("null"), nil
	}
	return m, nil
}

// errBadMessageID becomes the message of the invalid_argument error the client gets.
var errBadMessageID = errors.New("id must be a number or a string of 1 to 64 letters, digits, '-', '_', '.' or ':'")

// userOf returns the sender's user id, safe to relay: development tokens carry names of
// the safe form already, other issuers' pass through the HTML policy.
func userOf(s *gateway.Socket) string { return sanitize.HTML(auth.UserID(s)) }

// sanitizeObject returns obj with every string in it, keys included, at any depth, passed
// through the HTML policy; numbers, booleans and null stay as they are.
func sanitizeObject(obj map[string]json.RawMessage) (map[string]any, error) {
	out := make(map[string]any, len(obj)+1)
	for k, raw := range obj {
		v, err := decodeValue(raw)
		if err != nil {
			return nil, err
		}
		out[sanitize.HTML(k)] = sanitizeValue(v)
	}
	return out, nil
}

// sanitizeJSON is sanitizeObject for any JSON value.
func sanitizeJSON(raw json.RawMessage) (json.RawMessage, error) {
	v, err := decodeValue(raw)
	if err != nil {
		return nil, err
	}
	return json.Marshal(sanitizeValue(v))
}

func decodeValue(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

func sanitizeValue(v any) any {
	switch x := v.(type) {
	case string:
		return sanitize.HTML(x)
	case []any:
		for i := range x {
			x[i] = sanitizeValue(x[i])
		}
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[sanitize.HTML(k)] = sanitizeValue(e)
		}
		return out
	}
	return v
}
