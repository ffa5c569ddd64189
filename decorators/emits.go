package decorators

import (
	"reflect"
	"strings"
)

// Emits declares, as the type of a blank field, an event the server sends to clients, T
// being its one argument. The runtime does not check what handlers emit: the declaration is
// for the tools that describe the gateway to clients (the TypeScript event types and the
// AsyncAPI document of sockgate gen), and its tag is checked at registration like the
// others. See the package documentation for the keys.
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
