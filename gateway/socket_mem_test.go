package gateway

import (
	"testing"
	"unsafe"
)

// TestSocketSize keeps the Socket struct within its allocation size class: every idle
// connection holds one, so a field added to it is paid by every connection (issue 12:
// idle memory per connection). What few sockets use belongs in socketExtras.
func TestSocketSize(t *testing.T) {
	const budget = 288 // a size class of the Go allocator
	if got := unsafe.Sizeof(Socket{}); got > budget {
		t.Fatalf("Socket is %d bytes, over its %d-byte budget", got, budget)
	}
}

// TestIdleSocketHoldsNoExtras: a socket that registers no handler of its own, stores no
// value under a key and has no disconnect timer holds no socketExtras.
func TestIdleSocketHoldsNoExtras(t *testing.T) {
	srv, hs := newTestServer(t, Config{})
	sockets := make(chan *Socket, 1)
	srv.OnConnection(func(s *Socket) { sockets <- s })
	c := dialRaw(t, hs)
	c.connect("/")
	s := <-sockets
	s.mu.Lock()
	x := s.extras
	s.mu.Unlock()
	if x != nil {
		t.Fatal("an idle socket holds socketExtras")
	}
	testKey := NewKey[int]("n")
	if _, ok := testKey.Get(s); ok {
		t.Fatal("Get found a value that was never set")
	}
	testKey.Delete(s)
	if err := s.Context().Err(); err != nil {
		t.Fatalf("context of a connected socket: %v", err)
	}
	if s.handles("nothing") {
		t.Fatal("handles reports a handler that was never added")
	}
	s.mu.Lock()
	x = s.extras
	s.mu.Unlock()
	if x != nil {
		t.Fatal("reading the extras allocated them")
	}
}
