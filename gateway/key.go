package gateway

// Key is a typed key for a value kept on a socket, as context.Context keys are: every Key
// made by NewKey is distinct, whatever its name, so that packages never overwrite each
// other's values (package auth keeps the socket's identity under its own key). Values stay
// on this node; Socket.SetData is the one value FetchSockets shares with other nodes.
//
//	var userKey = gateway.NewKey[*User]("user")
//
//	userKey.Set(s, u)
//	u, ok := userKey.Get(s)
type Key[T any] struct{ name string }

// NewKey returns a new key for values of type T. The name is for people reading a
// debugger or a log; it does not make keys equal.
func NewKey[T any](name string) *Key[T] { return &Key[T]{name: name} }

// String returns the key's name.
func (k *Key[T]) String() string { return k.name }

// Set stores v on s under k, replacing what was there.
func (k *Key[T]) Set(s *Socket, v T) {
	s.mu.Lock()
	x := s.extrasLocked()
	if x.values == nil {
		x.values = make(map[any]any, 1)
	}
	x.values[k] = v
	s.mu.Unlock()
}

// Get returns the value stored on s under k, and whether there is one.
func (k *Key[T]) Get(s *Socket) (T, bool) {
	s.mu.Lock()
	var v any
	var ok bool
	if x := s.extras; x != nil {
		v, ok = x.values[k]
	}
	s.mu.Unlock()
	t, _ := v.(T)
	return t, ok
}

// Delete removes the value stored on s under k.
func (k *Key[T]) Delete(s *Socket) {
	s.mu.Lock()
	if x := s.extras; x != nil {
		delete(x.values, k)
	}
	s.mu.Unlock()
}
