package main

import (
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/sockgate/sockgate/gateway"
)

// Client-chosen names become rooms under a prefix. Every socket is alone in a room named
// after its id: without the prefix, joining "room" <another socket's id> would deliver
// that socket's private messages to the joiner.
const (
	roomPrefix    = "room:"
	channelPrefix = "channel:"
	maxNameLength = 128
)

// Name is a room or channel name as clients send it: a string, or a number (JavaScript
// clients often use numeric ids), of 1 to 128 letters, digits, '-', '_', '.' or ':'.
type Name string

// UnmarshalJSON accepts a JSON string or number.
func (n *Name) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*n = Name(s)
		return nil
	}
	var num json.Number
	if err := json.Unmarshal(b, &num); err != nil {
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[Name]()}
	}
	*n = Name(num.String())
	return nil
}

// check refuses names that are not 1 to 128 letters, digits, '-', '_', '.' or ':', with
// what as the field name in the error.
func (n Name) check(what string) error {
	if !checkName(string(n), maxNameLength) {
		msg := what + " must have 1 to " + strconv.Itoa(maxNameLength) + " letters, digits, '-', '_', '.' or ':'"
		return gateway.NewError(gateway.CodeInvalidArgument, msg).
			WithDetails([]gateway.FieldError{{Field: what, Rule: "name", Message: msg}})
	}
	return nil
}

func roomOf(n Name) string    { return roomPrefix + string(n) }
func channelOf(n Name) string { return channelPrefix + string(n) }

// jsonKind names the kind of a JSON value for error messages.
func jsonKind(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	}
	return "value"
}

// clientRooms returns a socket's rooms as the client named them: its own id first, then
// the rooms it joined, without the prefix, sorted.
func clientRooms(s *gateway.Socket) []string {
	rooms := s.Rooms()
	out := make([]string, 1, len(rooms))
	out[0] = s.ID()
	for _, r := range rooms {
		if name, ok := strings.CutPrefix(r, roomPrefix); ok {
			out = append(out, name)
		}
	}
	slices.Sort(out[1:])
	return out
}
