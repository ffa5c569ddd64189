package decorators

import (
	"reflect"
	"strings"
)

// Emits declares, as the type of a blank field, an event the server sends to clients, T
// being its one argument. The runtime does not check what handlers emit: the declaration is
// for the tools that describe the gateway to clients (the TypeScript event types and the
// AsyncAPI document of sockgate gen), and its tag is checked at registration like the
// others. See ParseEmitsTag for the keys.
//
//	_ decorators.Emits[ChatMessage] `ws:"new-message"`
//
// Declaring one event twice with different payload types means that it carries either.
type Emits[T any] struct{}

func (Emits[T]) emitsPayload() reflect.Type { return reflect.TypeFor[T]() }

// emitsMarker is implemented by every Emits type, whatever its T.
type emitsMarker interface{ emitsPayload() reflect.Type }

var typeEmitsMarker = reflect.TypeFor[emitsMarker]()

// EmitsPayload reports whether t is an Emits type and returns its payload type T.
func EmitsPayload(t reflect.Type) (payload reflect.Type, ok bool) {
	if t == nil || t.Kind() != reflect.Struct || t.PkgPath() != typeEmitsMarkerPkg ||
		!strings.HasPrefix(t.Name(), "Emits[") || !t.Implements(typeEmitsMarker) {
		return nil, false
	}
	return reflect.Zero(t).Interface().(emitsMarker).emitsPayload(), true
}

var typeEmitsMarkerPkg = reflect.TypeFor[Gateway]().PkgPath()

// EmitsTag is the parsed tag of an Emits field.
type EmitsTag struct {
	// Event is the event name.
	Event string
}

// ParseEmitsTag parses the tag of an Emits field. Keys:
//
//   - ws:"new-message" — the event name (required). It must not be one of the names
//     socket.io reserves (see IsReserved).
//
// Unknown keys, duplicate keys, malformed syntax and bad values are errors (*TagError)
// naming the key and the value.
func ParseEmitsTag(tag reflect.StructTag) (EmitsTag, error) {
	pairs, err := scanKnown(tag, "ws")
	if err != nil {
		return EmitsTag{}, err
	}
	var et EmitsTag
	for _, p := range pairs {
		if p.value == "" {
			return EmitsTag{}, invalid(p, "an empty event name")
		}
		if IsReserved(p.value) {
			return EmitsTag{}, &TagError{Key: p.key, Value: p.value, Err: ErrReservedEvent,
				Detail: "socket.io reserves connect, connect_error, disconnect, disconnecting, newListener and removeListener"}
		}
		et.Event = p.value
	}
	if et.Event == "" {
		return EmitsTag{}, &TagError{Key: "ws", Err: ErrMissingKey, Detail: `name the event, as in ws:"new-message"`}
	}
	return et, nil
}
