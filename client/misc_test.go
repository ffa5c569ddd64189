package client_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockgate/sockgate/client"
	"github.com/sockgate/sockgate/gateway"
	"github.com/sockgate/sockgate/gateway/gatewaytest"
)

func newMirror(t *testing.T) *gatewaytest.Server {
	srv := gatewaytest.NewServer(t, gateway.Config{})
	mirror(srv)
	return srv
}

// Close may be called from a handler: it does not wait for that handler, and still
// waits for the goroutines of the connection.
func TestCloseFromHandler(t *testing.T) {
	srv := newMirror(t)
	c := srv.Dial(t, "/")
	closed := make(chan error, 1)
	c.On("echo", func(e *client.Event) { closed <- e.Socket().Manager().Close() })
	_ = c.Emit("echo", 1)
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close called from a handler did not return")
	}
	if err := c.Emit("echo", 2); !errors.Is(err, client.ErrClosed) {
		t.Fatalf("Emit after Close: %v", err)
	}
}

// Reserved names cannot be emitted; Volatile emits on a ready connection are delivered;
// Once handlers run once and Off removes handlers.
func TestEmitRulesAndHandlers(t *testing.T) {
	srv := newMirror(t)
	c := srv.DialWith(t, "/", client.Options{Transports: []string{client.TransportWebSocket}})
	expectWelcome(t, c)
	for _, name := range []string{"connect", "disconnect", "connect_error", "newListener"} {
		if err := c.Emit(name); !errors.Is(err, client.ErrReservedEvent) {
			t.Errorf("Emit(%q): %v", name, err)
		}
	}
	if _, err := c.Socket.EmitWithAck(context.Background(), "disconnecting"); !errors.Is(err, client.ErrReservedEvent) {
		t.Errorf("EmitWithAck(disconnecting): %v", err)
	}
	if err := c.Emit("echo", func() {}); err == nil {
		t.Error("Emit with an argument that cannot be encoded succeeded")
	}
	if err := c.Volatile().Emit("echo", "v"); err != nil {
		t.Fatal(err)
	}
	if got := rawArgs(expectEcho(t, c)); !slices.Equal(got, []string{`"v"`}) {
		t.Fatalf("volatile echo %v", got)
	}

	var once, typed atomic.Int32
	var last atomic.Value
	c.Once("echo", func(*client.Event) { once.Add(1) })
	off := client.On(c.Socket, "echo", func(s string) { typed.Add(1); last.Store(s) })
	for _, s := range []string{"a", "b"} {
		_ = c.Emit("echo", s)
		expectEcho(t, c)
	}
	// The recorder is a catch-all handler, which runs before the others: one more round
	// trip makes sure the handlers of "b" have run.
	c.EmitWithAck(t, "echo", "sync")
	if once.Load() != 1 || typed.Load() != 2 || last.Load() != "b" {
		t.Fatalf("once %d, typed %d, last %v", once.Load(), typed.Load(), last.Load())
	}
	off()
	c.Off("echo")
	_ = c.Emit("echo", "c")
	c.EmitWithAck(t, "echo", "sync")
	if typed.Load() != 2 {
		t.Fatal("handler still called after off")
	}
	// On[T] with an argument that does not decode does not call the handler.
	called := make(chan string, 1)
	client.On(c.Socket, "echo", func(n int) { called <- "called" })
	_ = c.Emit("echo", "not a number")
	c.EmitWithAck(t, "echo", "sync")
	select {
	case <-called:
		t.Fatal("On[int] called with a string")
	default:
	}
}

// Events wait for slow handlers in order; none is lost when the event queue is small.
func TestSlowHandlersKeepOrder(t *testing.T) {
	srv := newMirror(t)
	c := srv.DialWith(t, "/", client.Options{EventQueueSize: 2, Transports: []string{client.TransportWebSocket}})
	got := make(chan int, 100)
	client.On(c.Socket, "echo", func(n int) {
		time.Sleep(time.Millisecond) // a slow handler, on purpose
		got <- n
	})
	for i := range 50 {
		_ = c.Emit("echo", i)
	}
	for i := range 50 {
		select {
		case n := <-got:
			if n != i {
				t.Fatalf("event %d arrived as %d", i, n)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("event %d never handled", i)
		}
	}
}

// Connection state recovery (Node only: sockgate does not offer it): after a lost
// connection the client sends its session id and last offset, gets the same socket id
// back, and receives what was emitted while it was away.
func TestRecoveryWithNode(t *testing.T) {
	node, dir := nodeSetup(t)
	n := &nodeServer{node: node, dir: dir}
	n.start(t, 0, "--recovery")
	c, _ := connect(t, n.URL(), "/", fastReconnect(client.Options{Transports: []string{client.TransportWebSocket}}))
	if w := c.Expect(t, "welcome"); w.Args.Len() != 2 {
		t.Fatalf("welcome %s: want the offset Node adds with recovery on", w.Args)
	}
	id := c.ID()
	if c.Recovered() {
		t.Fatal("a first connection reports a recovery")
	}
	_ = c.Emit("drop-and-broadcast")
	if r := c.ExpectDisconnect(t); !isTransportLoss(r) {
		t.Fatalf("disconnect %q", r)
	}
	c.Expect(t, client.EventConnect)
	if !c.Recovered() || c.ID() != id {
		t.Fatalf("recovered %v, id %q then %q", c.Recovered(), id, c.ID())
	}
	var s string
	if err := c.Expect(t, "missed").Args.Decode(0, &s); err != nil || s != "while away" {
		t.Fatalf("missed %q, %v", s, err)
	}
}

// The Engine.IO handshake of each attempt is bounded by ConnectTimeout.
func TestConnectTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		done  = make(chan struct{})
	)
	go func() { // accepts and never answers
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
	})
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			start := time.Now()
			_, err := client.Dial(ctxT(t), "http://"+ln.Addr().String(), client.Options{
				Transports:          tr.list,
				ConnectTimeout:      100 * time.Millisecond,
				DisableReconnection: true,
			})
			if !errors.Is(err, client.ErrConnectTimeout) {
				t.Fatalf("Dial: %v, want ErrConnectTimeout", err)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Fatalf("gave up after %v", d)
			}
		})
	}
}

// Path selects where the server answers.
func TestPath(t *testing.T) {
	srv := gatewaytest.NewServer(t, gateway.Config{Path: "/rt/"})
	srv.OnConnection(func(s *gateway.Socket) { _ = s.Emit("hello") })
	for _, tr := range transports {
		c := srv.DialWith(t, "/", client.Options{Path: "/rt", Transports: tr.list})
		c.Expect(t, "hello")
	}
	err := gatewaytest.DialErr(t, srv.URL, client.Options{DisableReconnection: true})
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("default path on a server at /rt/: %v", err)
	}
}
