package gateway

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestSocketContext: the socket's context has no deadline and no values, and is
// cancelled when the socket disconnects, with the contexts derived from it, whether they
// were derived before or after; stopping a derived context drops its registration.
func TestSocketContext(t *testing.T) {
	srv, hs := newTestServer(t, Config{})
	sockets := make(chan *Socket, 1)
	srv.OnConnection(func(s *Socket) { sockets <- s })
	c := dialRaw(t, hs)
	c.connect("/")
	s := <-sockets

	ctx := s.Context()
	if _, ok := ctx.Deadline(); ok {
		t.Fatal("the socket context has a deadline")
	}
	if v := ctx.Value("k"); v != nil {
		t.Fatalf("Value = %v", v)
	}
	if err := ctx.Err(); err != nil {
		t.Fatalf("Err before the disconnection: %v", err)
	}
	done := ctx.Done()
	if done != s.Context().Done() {
		t.Fatal("Done returns another channel on the second call")
	}
	child, cancelChild := context.WithCancel(ctx)
	timed, cancelTimed := context.WithTimeout(ctx, time.Hour)
	defer cancelTimed()
	stopped, cancelStopped := context.WithCancel(ctx)
	afterRan := make(chan struct{})
	context.AfterFunc(ctx, func() { close(afterRan) })
	s.mu.Lock()
	registered := len(s.extras.afterFuncs)
	s.mu.Unlock()
	if registered != 4 {
		t.Fatalf("%d functions registered, want 4", registered)
	}
	cancelStopped() // leaves the socket context, which stays live
	if stopped.Err() == nil || ctx.Err() != nil {
		t.Fatalf("after cancelling a child: child %v, socket %v", stopped.Err(), ctx.Err())
	}
	s.mu.Lock()
	registered = len(s.extras.afterFuncs)
	s.mu.Unlock()
	if registered != 3 {
		t.Fatalf("%d functions registered after a child's cancel, want 3", registered)
	}
	select {
	case <-done:
		t.Fatal("Done closed before the disconnection")
	default:
	}

	c.send(`41`) // the client leaves the namespace
	<-done
	<-child.Done()
	<-timed.Done()
	<-afterRan
	for name, cx := range map[string]context.Context{"socket": ctx, "child": child, "timed": timed} {
		if !errors.Is(cx.Err(), context.Canceled) || !errors.Is(context.Cause(cx), context.Canceled) {
			t.Errorf("%s: Err %v, Cause %v, want context.Canceled", name, cx.Err(), context.Cause(cx))
		}
	}
	cancelChild()
	s.mu.Lock()
	registered = len(s.extras.afterFuncs)
	s.mu.Unlock()
	if registered != 0 {
		t.Fatalf("%d functions still registered after the disconnection", registered)
	}

	// After the disconnection: a new child is born cancelled, AfterFunc runs at once.
	late, cancelLate := context.WithCancel(s.Context())
	defer cancelLate()
	<-late.Done()
	ran := make(chan struct{})
	stop := context.AfterFunc(s.Context(), func() { close(ran) })
	<-ran
	if stop() {
		t.Fatal("stop reports it stopped a function that ran")
	}
}

// TestSocketContextDoneAfterClose: Done, first called after the disconnection, returns a
// closed channel.
func TestSocketContextDoneAfterClose(t *testing.T) {
	srv, hs := newTestServer(t, Config{})
	sockets := make(chan *Socket, 1)
	reasons := make(chan DisconnectReason, 1)
	srv.OnConnection(func(s *Socket) {
		s.OnDisconnect(func(r DisconnectReason) { reasons <- r })
		sockets <- s
	})
	c := dialRaw(t, hs)
	c.connect("/")
	s := <-sockets
	c.send(`41`)
	<-reasons
	select {
	case <-s.Context().Done():
	default:
		t.Fatal("Done of a disconnected socket is open")
	}
}
