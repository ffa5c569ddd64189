package gateway

import (
	"context"
	"errors"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if spec := os.Getenv(IdleClientsEnv); spec != "" {
		os.Exit(runIdleClients(spec)) // the client process of BenchmarkIdleSocketHeap
	}
	goleak.VerifyTestMain(m)
}

func TestEventsAndAcksBothWays(t *testing.T) {
	srv, hs := newTestServer(t, Config{})
	got := make(chan Args, 1)
	srv.OnConnection(func(s *Socket) {
		s.On("hello", func(e *Event) {
			if err := e.Ack("ok", map[string]int{"n": 1}); err != nil {
				t.Errorf("ack: %v", err)
			}
		})
		s.On("ask-me", func(e *Event) {
			go func() {
				a, err := s.EmitWithAck(context.Background(), "question", 42)
				if err != nil {
					t.Errorf("EmitWithAck: %v", err)
					return
				}
				got <- a
			}()
		})
	})
	c := dialRaw(t, hs)
	c.connect("/")
	c.send(`420["hello","world"]`)
	c.expect(`430["ok",{"n":1}]`)
	c.send(`42["ask-me"]`)
	q := c.expectPrefix(`42`)
	// The server's first ack id is 0.
	if q != `420["question",42]` {
		t.Fatalf("got %q", q)
	}
	c.send(`430["answer",{"x":[true]}]`)
	a := <-got
	if a.Len() != 2 || string(a.Raw(0)) != `"answer"` || string(a.Raw(1)) != `{"x":[true]}` {
		t.Fatalf("ack args %v", a)
	}
}

func TestBinaryBothWays(t *testing.T) {
	srv, hs := newTestServer(t, Config{})
	srv.OnConnection(func(s *Socket) {
		s.On("upload", func(e *Event) {
			var b []byte
			if err := e.Args.Decode(0, &b); err != nil {
				t.Errorf("decode: %v", err)
			}
			var nested struct{ File []byte }
			if err := e.Args.Decode(1, &nested); err != nil {
				t.Errorf("decode nested: %v", err)
			}
			_ = s.Emit("binback", b, map[string]any{"nested": []any{nested.File}})
		})
	})
	c := dialRaw(t, hs)
	c.connect("/")
	c.send(`452-["upload",{"_placeholder":true,"num":0},{"File":{"_placeholder":true,"num":1}}]`)
	c.sendBinary([]byte{1, 2, 3})
	c.sendBinary([]byte{4, 5})
	c.expect(`452-["binback",{"_placeholder":true,"num":0},{"nested":[{"_placeholder":true,"num":1}]}]`)
	if f := c.next(); string(f.binary) != "\x01\x02\x03" {
		t.Fatalf("attachment 0 = %v", f.binary)
	}
	if f := c.next(); string(f.binary) != "\x04\x05" {
		t.Fatalf("attachment 1 = %v", f.binary)
	}
}

func TestMiddlewareRefusal(t *testing.T) {
	srv, hs := newTestServer(t, Config{})
	srv.Use(func(_ context.Context, s *Socket) error {
		var auth struct{ Token string }
		_ = s.DecodeAuth(&auth)
		if auth.Token != "good" {
			return &ConnectError{Message: "not authorized", Data: map[string]string{"reason": "token"}}
		}
		return nil
	})
	admin := of(t, srv, "/admin")
	admin.Use(func(context.Context, *Socket) error { return NewError(CodePermissionDenied, "admins only") })
	admin.OnConnection(func(*Socket) { t.Error("refused socket reached the connection handler") })
	c := dialRaw(t, hs)
	c.send(`40{"token":"bad"}`)
	c.expect(`44{"message":"not authorized","data":{"reason":"token"}}`)
	c.send(`40/admin,`)
	c.expect(`44/admin,{"message":"admins only","data":{"code":"permission_denied"}}`)
	// The connection is still usable for a good CONNECT.
	c.send(`40{"token":"good"}`)
	c.expectPrefix(`40{"sid":"`)
}

func TestUnknownNamespaceAndDynamic(t *testing.T) {
	srv, hs := newTestServer(t, Config{})
	parent := srv.OfPattern(regexp.MustCompile(`^/dyn-\d+$`))
	joined := make(chan string, 1)
	parent.OnConnection(func(s *Socket) { joined <- s.Namespace().Name() })
	c := dialRaw(t, hs)
	c.send(`40/random`)
	c.expect(`44/random,{"message":"Invalid namespace"}`)
	c.connect("/dyn-42")
	if got := <-joined; got != "/dyn-42" {
		t.Fatalf("joined %q", got)
	}
	if len(parent.Children()) != 1 {
		t.Fatalf("children %d", len(parent.Children()))
	}
}

func TestEventsWaitForConnectHooks(t *testing.T) {
	srv, hs := newTestServer(t, Config{})
	release := make(chan struct{})
	var order []string
	var mu sync.Mutex
	note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	nsp := of(t, srv, "/")
	nsp.Use(func(ctx context.Context, s *Socket) error {
		<-release
		note("connect-hook")
		_ = s.Emit("welcome") // held until after the CONNECT reply
		return nil
	})
	done := make(chan struct{})
	nsp.OnConnection(func(s *Socket) {
		s.On("ping-me", func(e *Event) {
			note("event")
			_ = e.Ack()
			close(done)
		})
	})
	c := dialRaw(t, hs)
	c.send(`40`)
	c.send(`420["ping-me"]`)
	close(release)
	c.expectPrefix(`40{"sid":`)
	c.expect(`42["welcome"]`)
	c.expect(`430[]`)
	<-done
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(order, ",") != "connect-hook,event" {
		t.Fatalf("order %v", order)
	}
}

func TestRoomsAndBroadcast(t *testing.T) {
	srv, hs := newTestServer(t, Config{})
	sockets := make(chan *Socket, 3)
	srv.OnConnection(func(s *Socket) { sockets <- s })
	a, b, c := dialRaw(t, hs), dialRaw(t, hs), dialRaw(t, hs)
	a.connect("/")
	sa := <-sockets
	b.connect("/")
	sb := <-sockets
	c.connect("/")
	sc := <-sockets

	sa.Join("r1", "r2")
	sb.Join("r2")
	rooms := sa.Rooms()
	sort.Strings(rooms[1:])
	if rooms[0] != sa.ID() || strings.Join(rooms[1:], ",") != "r1,r2" {
		t.Fatalf("rooms %v", rooms)
	}
	// Several rooms: each socket once.
	if err := srv.To("r1", "r2").Emit("multi", 1); err != nil {
		t.Fatal(err)
	}
	a.expect(`42["multi",1]`)
	b.expect(`42["multi",1]`)
	// socket.to(room) excludes the sender.
	_ = sa.To("r2").Emit("from-a")
	b.expect(`42["from-a"]`)
	// Except a room, and a socket id as a room.
	_ = srv.Except("r2").Emit("not-r2")
	c.expect(`42["not-r2"]`)
	_ = srv.To(sc.ID()).Emit("direct")
	c.expect(`42["direct"]`)
	_ = sb.Broadcast().Emit("all-but-b")
	a.expect(`42["all-but-b"]`)
	c.expect(`42["all-but-b"]`)
	// Nothing else reached b: the next thing it sees is this.
	_ = sb.Emit("marker")
	b.expect(`42["marker"]`)

	srv.To("r2").SocketsJoin("r3")
	if !sb.IsInRoom("r3") || sc.IsInRoom("r3") {
		t.Fatal("SocketsJoin did not reach exactly r2")
	}
	srv.To("r3").SocketsLeave("r3")
	if sa.IsInRoom("r3") {
		t.Fatal("SocketsLeave")
	}
	found, err := of(t, srv, "/").To("r1").FetchSockets(context.Background())
	if err != nil || len(found) != 1 || found[0].ID() != sa.ID() {
		t.Fatalf("FetchSockets %v %v", found, err)
	}
	ids := srv.To("r2").LocalSocketIDs()
	sort.Strings(ids)
	want := []string{sa.ID(), sb.ID()}
	sort.Strings(want)
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Fatalf("LocalSocketIDs of r2 = %v, want %v", ids, want)
	}
	if n := len(srv.Except("r2").LocalSocketIDs()); n != 1 {
		t.Fatalf("LocalSocketIDs except r2: %d sockets, want 1", n)
	}
	sa.Leave("r1")
	if sa.IsInRoom("r1") {
		t.Fatal("Leave")
	}
	of(t, srv, "/").To(sc.ID()).DisconnectSockets(false)
	c.expect(`41`)
}

func TestBroadcastWithAcks(t *testing.T) {
	srv, hs := newTestServer(t, Config{})
	joined := make(chan struct{}, 2)
	srv.OnConnection(func(s *Socket) { joined <- struct{}{} })
	a, b := dialRaw(t, hs), dialRaw(t, hs)
	a.connect("/")
	b.connect("/")
	<-joined
	<-joined
	type result struct {
		acks []Args
		err  error
	}
	res := make(chan result, 1)
	go func() {
		acks, err := of(t, srv, "/").Timeout(5*time.Second).EmitWithAck(context.Background(), "vote")
		res <- result{acks, err}
	}()
	for _, c := range []*rawClient{a, b} {
		f := c.expectPrefix(`42`)
		id := strings.TrimSuffix(strings.TrimPrefix(f, "42"), `["vote"]`)
		c.send(`43` + id + `["yes"]`)
	}
	r := <-res
	if r.err != nil || len(r.acks) != 2 {
		t.Fatalf("acks %v err %v", r.acks, r.err)
	}
	// With one client silent, the timeout returns what arrived.
	go func() {
		acks, err := of(t, srv, "/").Timeout(200*time.Millisecond).EmitWithAck(context.Background(), "vote")
		res <- result{acks, err}
	}()
	f := a.expectPrefix(`42`)
	a.send(`43` + strings.TrimSuffix(strings.TrimPrefix(f, "42"), `["vote"]`) + `["yes"]`)
	b.expectPrefix(`42`)
	r = <-res
	if !errors.Is(r.err, ErrAckTimeout) || len(r.acks) != 1 {
		t.Fatalf("acks %v err %v", r.acks, r.err)
	}
}

func TestDisconnects(t *testing.T) {
	srv, hs := newTestServer(t, Config{})
	reasons := make(chan DisconnectReason, 4)
	sockets := make(chan *Socket, 4)
	srv.OnConnection(func(s *Socket) {
		s.OnDisconnect(func(r DisconnectReason) { reasons <- r })
		sockets <- s
	})
	a := dialRaw(t, hs)
	a.connect("/")
	(<-sockets).Disconnect()
	a.expect(`41`)
	if r := <-reasons; r != ReasonServerNamespaceDisconnect {
		t.Fatalf("reason %q", r)
	}
	a.connect("/")
	<-sockets
	a.send(`41`)
	if r := <-reasons; r != ReasonClientNamespaceDisconnect {
		t.Fatalf("reason %q", r)
	}
	a.connect("/")
	<-sockets
	_ = a.ws.Close()
	if r := <-reasons; r != ReasonTransportClose {
		t.Fatalf("reason %q", r)
	}
}

func TestProtocolViolationsClose(t *testing.T) {
	_, hs := newTestServer(t, Config{})
	for _, bad := range []string{`4abc`, `42{}`, `42abc["x"]`, `42["disconnect"]`, `42["x"]`, `44{"message":"x"}`} {
		t.Run(bad, func(t *testing.T) {
			c := dialRaw(t, hs)
			if bad != `42["x"]` { // an event for a namespace never joined also closes
				c.connect("/")
			}
			c.send(bad)
			c.expectClosed()
		})
	}
	t.Run("second CONNECT", func(t *testing.T) {
		c := dialRaw(t, hs)
		c.connect("/")
		c.send(`40`)
		c.expectClosed()
	})
}

func TestConnectTimeout(t *testing.T) {
	_, hs := newTestServer(t, Config{ConnectTimeout: 100 * time.Millisecond})
	c := dialRaw(t, hs)
	c.expectClosed()
}

func TestReservedEventsAndErrors(t *testing.T) {
	srv, hs := newTestServer(t, Config{})
	errs := make(chan error, 1)
	srv.OnConnection(func(s *Socket) {
		errs <- s.Emit("disconnect")
		s.On("boom", func(e *Event) { panic("boom") })
	})
	c := dialRaw(t, hs)
	c.connect("/")
	if err := <-errs; !errors.Is(err, ErrReservedEvent) {
		t.Fatalf("Emit(disconnect) = %v", err)
	}
	c.send(`427["boom"]`)
	c.expect(`437[{"status":"error","code":"internal","message":"internal error"}]`)
	c.expect(`42["exception",{"status":"error","code":"internal","message":"internal error","event":"boom"}]`)
}

func TestEventQueueOverflowIsReported(t *testing.T) {
	srv, hs := newTestServer(t, Config{EventQueueSize: 2})
	release := make(chan struct{})
	started := make(chan struct{}, 4)
	srv.OnConnection(func(s *Socket) {
		s.On("slow", func(e *Event) { started <- struct{}{}; <-release })
	})
	c := dialRaw(t, hs)
	c.connect("/")
	// One runs, two wait, the fourth does not fit.
	c.send(`42["slow"]`)
	<-started
	c.send(`42["slow"]`)
	c.send(`42["slow"]`)
	c.send(`421["slow"]`)
	c.expect(`431[{"status":"error","code":"resource_exhausted","message":"too many events waiting for this socket"}]`)
	c.expectPrefix(`42["exception",{"status":"error","code":"resource_exhausted"`)
	close(release)
}

func TestShutdownWaitsForHandlers(t *testing.T) {
	srv, hs := newTestServer(t, Config{})
	started := make(chan struct{})
	finish := make(chan struct{})
	reasons := make(chan DisconnectReason, 1)
	srv.OnConnection(func(s *Socket) {
		s.OnDisconnect(func(r DisconnectReason) { reasons <- r })
		s.On("work", func(e *Event) {
			close(started)
			<-finish
			_ = e.Ack("done")
		})
	})
	c := dialRaw(t, hs)
	c.connect("/")
	c.send(`421["work"]`)
	<-started
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(context.Background()) }()
	select {
	case <-shut:
		t.Fatal("Shutdown returned while a handler was running")
	case <-time.After(50 * time.Millisecond):
	}
	close(finish)
	c.expect(`431["done"]`)
	if err := <-shut; err != nil {
		t.Fatal(err)
	}
	if r := <-reasons; r != ReasonServerShuttingDown {
		t.Fatalf("reason %q", r)
	}
	c.expectClosed()
}

func TestArgsPassThroughKeepsBytes(t *testing.T) {
	srv, hs := newTestServer(t, Config{})
	srv.OnConnection(func(s *Socket) {
		s.On("echo", func(e *Event) { _ = s.Emit("echo-back", e.Args) })
	})
	c := dialRaw(t, hs)
	c.connect("/")
	in := `{"b":1,"a":"<x>","n":12345678901234567890}`
	c.send(`42["echo",` + in + `,"2"]`)
	c.expect(`42["echo-back",` + in + `,"2"]`)
}

func TestNewServerRejectsBadConfig(t *testing.T) {
	_, err := NewServer(Config{Transports: []string{"carrier-pigeon"}, PingInterval: -1})
	if err == nil || !strings.Contains(err.Error(), "carrier-pigeon") || !strings.Contains(err.Error(), "PingInterval") {
		t.Fatalf("err = %v", err)
	}
}
