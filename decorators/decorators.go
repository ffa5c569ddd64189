package decorators

// Gateway marks a struct as a gateway when embedded in it. Its struct tag carries the
// gateway's settings; see the package documentation for the keys.
type Gateway struct{}

// Subscribe marks an event handler when used as the type of a blank field; its struct tag
// names the event and the handler's settings. See the package documentation for the keys.
type Subscribe struct{}

// IsReserved reports whether socket.io reserves event for itself: connect, connect_error,
// disconnect, disconnecting, newListener and removeListener. Such names cannot be
// subscribed to; the lifecycle hooks cover them.
//
// This is the one list of reserved names: the wire codec, the server and the client use
// it too.
func IsReserved(event string) bool {
	switch event {
	case "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener":
		return true
	}
	return false
}
