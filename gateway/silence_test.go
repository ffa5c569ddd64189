package gateway

import (
	"context"
	"strings"
	"testing"
)

// An acked event that no handler takes is answered with not_found instead of leaving the
// client waiting for its timeout; without an ack it is dropped quietly.
func TestUnhandledAckedEventIsNotFound(t *testing.T) {
	srv, hs := newTestServer(t, Config{})
	srv.OnConnection(func(s *Socket) {
		s.On("known", func(e *Event) { _ = e.Ack("yes") })
	})
	c := dialRaw(t, hs)
	c.connect("/")
	c.send(`42["nobody-listens"]`)
	c.send(`427["nobody-listens",1]`)
	c.expect(`437[{"status":"error","code":"not_found","message":"no handler for this event"}]`)
	c.expect(`42["exception",{"status":"error","code":"not_found","message":"no handler for this event","event":"nobody-listens"}]`)
	c.send(`428["known"]`)
	c.expect(`438["yes"]`)
}

// A client that does not read is closed as a slow consumer, with its own reason.
func TestSlowConsumerReason(t *testing.T) {
	srv, hs := newTestServer(t, Config{WriteQueueSize: 4})
	reasons := make(chan DisconnectReason, 1)
	sockets := make(chan *Socket, 1)
	srv.OnConnection(func(s *Socket) {
		s.OnDisconnect(func(r DisconnectReason) { reasons <- r })
		sockets <- s
	})
	c := dialRaw(t, hs)
	c.connect("/")
	s := <-sockets
	big := strings.Repeat("x", 64<<10)
	for i := 0; i < 2000 && s.Connected(); i++ { // the client reads nothing meanwhile
		_ = s.Emit("flood", big)
	}
	if r := <-reasons; r != ReasonSlowConsumer {
		t.Fatalf("reason %q, want %q", r, ReasonSlowConsumer)
	}
}

// What is sent to a socket before its CONNECT reply is bounded like the write queue.
func TestPreConnectBufferIsBounded(t *testing.T) {
	srv, hs := newTestServer(t, Config{WriteQueueSize: 8})
	reasons := make(chan DisconnectReason, 1)
	srv.Use(func(_ context.Context, s *Socket) error {
		for i := 0; i < 100; i++ {
			_ = s.Emit("early", i)
		}
		return nil
	})
	srv.OnConnection(func(s *Socket) {
		s.OnDisconnect(func(r DisconnectReason) { reasons <- r })
	})
	c := dialRaw(t, hs)
	c.send(`40`)
	c.expectClosed()
	select {
	case r := <-reasons:
		t.Fatalf("a socket that never connected reported %q", r)
	default:
	}
	// Within the bound, everything arrives after the reply.
	srv2, hs2 := newTestServer(t, Config{WriteQueueSize: 8})
	srv2.Use(func(_ context.Context, s *Socket) error {
		for i := 0; i < 3; i++ {
			_ = s.Emit("early", i)
		}
		return nil
	})
	d := dialRaw(t, hs2)
	d.connect("/")
	for i := 0; i < 3; i++ {
		d.expect(`42["early",` + string(rune('0'+i)) + `]`)
	}
}
