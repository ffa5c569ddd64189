package gateway

import (
	"testing"
	"time"
)

func TestDisconnectAfter(t *testing.T) {
	srv, hs := newTestServer(t, Config{})
	reasons := make(chan DisconnectReason, 2)
	sockets := make(chan *Socket, 2)
	srv.OnConnection(func(s *Socket) {
		s.OnDisconnect(func(r DisconnectReason) { reasons <- r })
		sockets <- s
	})
	c := dialRaw(t, hs)
	c.connect("/")
	s := <-sockets
	s.DisconnectAfter(time.Hour, "never")
	s.DisconnectAfter(20*time.Millisecond, "credentials expired") // replaces the first
	c.expect(`41`)
	if r := <-reasons; r != "credentials expired" {
		t.Fatalf("reason %q", r)
	}

	// A socket that leaves first releases its timer.
	c.connect("/")
	s = <-sockets
	s.DisconnectAfter(time.Hour, "later")
	c.send(`41`)
	if r := <-reasons; r != ReasonClientNamespaceDisconnect {
		t.Fatalf("reason %q", r)
	}
	s.mu.Lock()
	timer := s.extras.timer
	s.mu.Unlock()
	if timer != nil {
		t.Fatal("the timer outlived the socket")
	}
	s.DisconnectAfter(time.Hour, "after close") // no effect, no timer
	s.mu.Lock()
	timer = s.extras.timer
	s.mu.Unlock()
	if timer != nil {
		t.Fatal("a closed socket got a timer")
	}
}
