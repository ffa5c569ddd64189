package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockgate/sockgate/adapter"
	"github.com/sockgate/sockgate/decorators"
)

// recoveryFixture is a server with connection state recovery whose new sockets join room
// "r"; lost reports every disconnection once the session is kept.
type recoveryFixture struct {
	srv         *Server
	nsp         *Namespace
	dial        func() *rawClient
	lost        chan DisconnectReason
	ready       chan *Socket // after the connection handler
	middlewares atomic.Int32
}

func newRecoveryFixture(t *testing.T, rc ConnectionStateRecovery, opts ...Option) *recoveryFixture {
	t.Helper()
	srv, hs := newTestServer(t, Config{ConnectionStateRecovery: rc}, opts...)
	f := &recoveryFixture{srv: srv, nsp: srv.main, lost: make(chan DisconnectReason, 64), ready: make(chan *Socket, 64)}
	f.dial = func() *rawClient { return dialRaw(t, hs) }
	srv.Use(func(context.Context, *Socket) error {
		f.middlewares.Add(1)
		return nil
	})
	srv.OnConnection(func(s *Socket) {
		if !s.Recovered() {
			s.Join("r")
			s.SetData(map[string]int{"n": 1})
		}
		s.OnDisconnect(func(r DisconnectReason) { f.lost <- r })
		f.ready <- s
	})
	return f
}

func (f *recoveryFixture) waitLost(t *testing.T) DisconnectReason {
	t.Helper()
	select {
	case r := <-f.lost:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("the server saw no disconnection")
		return ""
	}
}

func (f *recoveryFixture) waitReady(t *testing.T) *Socket {
	t.Helper()
	select {
	case s := <-f.ready:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("no connection handler ran")
		return nil
	}
}

// connect is connectReply followed by the wait for the connection handler.
func (f *recoveryFixture) connect(t *testing.T, c *rawClient, auth string) (sid, pid string) {
	t.Helper()
	sid, pid = connectReply(t, c, auth)
	f.waitReady(t)
	return sid, pid
}

// connectReply sends CONNECT with auth and returns the reply's sid and pid.
func connectReply(t *testing.T, c *rawClient, auth string) (sid, pid string) {
	t.Helper()
	c.send("40" + auth)
	got := c.expectPrefix("40")
	var body struct{ SID, PID string }
	if err := json.Unmarshal([]byte(got[2:]), &body); err != nil || body.SID == "" {
		t.Fatalf("CONNECT reply %q", got)
	}
	return body.SID, body.PID
}

// event reads the next frame as an EVENT and returns its arguments after the name, the
// last one being the offset when the event carries one.
func event(t *testing.T, c *rawClient) (string, []json.RawMessage) {
	t.Helper()
	f := c.expectPrefix("42")
	var arr []json.RawMessage
	if err := json.Unmarshal([]byte(f[2:]), &arr); err != nil || len(arr) == 0 {
		t.Fatalf("event frame %q", f)
	}
	var name string
	_ = json.Unmarshal(arr[0], &name)
	return name, arr[1:]
}

func str(raw json.RawMessage) string {
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

func TestRecoveryOnTheWire(t *testing.T) {
	f := newRecoveryFixture(t, ConnectionStateRecovery{MaxDisconnectionDuration: time.Minute})
	c := f.dial()
	sid, pid := f.connect(t, c, "")
	if pid == "" || pid == sid {
		t.Fatalf("CONNECT reply pid %q (sid %q): want a private session id", pid, sid)
	}
	_ = f.nsp.To("r").Emit("e", 1)
	_, args := event(t, c)
	if len(args) != 2 || string(args[0]) != "1" || str(args[1]) == "" {
		t.Fatalf("broadcast args %s: want [1, offset]", args)
	}
	offset := str(args[1])
	s := f.nsp.Socket(sid)
	_ = s.Emit("direct", "x")
	if name, args := event(t, c); name != "direct" || len(args) != 2 || str(args[1]) == "" {
		t.Fatalf("direct emit %s %s: want [x, offset]", name, args)
	}

	_ = c.ws.Close()
	if r := f.waitLost(t); r != ReasonTransportClose {
		t.Fatalf("reason %q", r)
	}
	_ = f.nsp.To("r").Emit("e", 2)
	_ = f.nsp.To("other").Emit("e", -1)
	_ = f.nsp.Except("r").Emit("e", -2)
	_ = f.nsp.Volatile().Emit("e", -3)
	_ = f.nsp.Emit("e", 3)

	c2 := f.dial()
	auth, _ := json.Marshal(map[string]any{"pid": pid, "offset": offset, "token": "t"})
	sid2, pid2 := f.connect(t, c2, string(auth))
	if sid2 != sid || pid2 != pid {
		t.Fatalf("recovered as sid %q pid %q, want %q %q", sid2, pid2, sid, pid)
	}
	// The direct emit after offset is replayed too, then the two ticks.
	want := []string{`direct ["x"`, `e [2`, `e [3`}
	for _, w := range want {
		name, args := event(t, c2)
		if got := fmt.Sprintf("%s %s", name, args); !strings.HasPrefix(strings.ReplaceAll(got, " ", ""), strings.ReplaceAll(w, " ", "")) {
			t.Fatalf("replayed %s, want %s...", got, w)
		}
	}
	s2 := f.nsp.Socket(sid)
	if s2 == nil || !s2.Recovered() || !s2.IsInRoom("r") || fmt.Sprint(s2.Data()) != "map[n:1]" {
		t.Fatalf("recovered socket %+v", s2)
	}
	if n := f.middlewares.Load(); n != 1 {
		t.Fatalf("middleware ran %d times, want 1", n)
	}
	_ = f.nsp.To("r").Emit("e", 4)
	if _, args := event(t, c2); string(args[0]) != "4" {
		t.Fatalf("live after recovery %s", args)
	}

}

func TestRecoveryRefusedAuth(t *testing.T) {
	f := newRecoveryFixture(t, ConnectionStateRecovery{MaxDisconnectionDuration: time.Minute})
	c := f.dial()
	sid, pid := f.connect(t, c, "")
	_ = f.nsp.Emit("e", 1)
	_, args := event(t, c)
	offset := str(args[1])
	_ = c.ws.Close()
	f.waitLost(t)
	for _, auth := range []string{
		`{"pid":1,"offset":"` + offset + `"}`,
		`{"pid":"` + pid + `"}`,
		`{"pid":"` + pid + `","offset":7}`,
		`{"pid":"nope","offset":"` + offset + `"}`,
		`{"pid":"` + pid + `","offset":"nope"}`,
	} {
		c := f.dial()
		got, newPID := f.connect(t, c, auth)
		if got == sid || newPID == pid {
			t.Fatalf("auth %s recovered the session", auth)
		}
	}
	// Still recoverable with the right pair: refused attempts do not cost the session.
	c2 := f.dial()
	if got, _ := f.connect(t, c2, `{"pid":"`+pid+`","offset":"`+offset+`"}`); got != sid {
		t.Fatalf("recovery after refused attempts: sid %q, want %q", got, sid)
	}
}

func TestRecoveryNotForDeliberateDisconnects(t *testing.T) {
	f := newRecoveryFixture(t, ConnectionStateRecovery{MaxDisconnectionDuration: time.Minute})
	for _, how := range []string{"client", "server"} {
		c := f.dial()
		sid, pid := f.connect(t, c, "")
		_ = f.nsp.Emit("e", 1)
		_, args := event(t, c)
		if how == "client" {
			c.send("41")
		} else {
			f.nsp.Socket(sid).Disconnect()
			c.expect("41")
		}
		f.waitLost(t)
		if got, _ := f.connect(t, c, `{"pid":"`+pid+`","offset":"`+str(args[1])+`"}`); got == sid {
			t.Fatalf("a %s namespace disconnect was recovered", how)
		}
	}
}

func TestRecoveryRunMiddlewares(t *testing.T) {
	f := newRecoveryFixture(t, ConnectionStateRecovery{MaxDisconnectionDuration: time.Minute, RunMiddlewares: true})
	c := f.dial()
	sid, pid := f.connect(t, c, "")
	_ = f.nsp.Emit("e", 1)
	_, args := event(t, c)
	_ = c.ws.Close()
	f.waitLost(t)
	c2 := f.dial()
	if got, _ := f.connect(t, c2, `{"pid":"`+pid+`","offset":"`+str(args[1])+`"}`); got != sid {
		t.Fatalf("not recovered")
	}
	if n := f.middlewares.Load(); n != 2 {
		t.Fatalf("middleware ran %d times, want 2 with RunMiddlewares", n)
	}
}

// noRecovery hides a namespace's recovery configuration from its adapter.
type noRecovery struct{ adapter.Namespace }

func (noRecovery) Recovery() adapter.Recovery { return adapter.Recovery{} }

func TestRecoveryOff(t *testing.T) {
	_, hs := newTestServer(t, Config{})
	c := dialRaw(t, hs)
	if _, pid := connectReply(t, c, ""); pid != "" {
		t.Fatalf("pid %q without recovery", pid)
	}
	// An adapter that keeps no sessions leaves recovery off for its namespaces.
	plain := func(ns adapter.Namespace) (adapter.Adapter, error) {
		a, err := adapter.NewMemory(noRecovery{ns})
		return struct{ adapter.Adapter }{a}, err
	}
	srv, hs2 := newTestServer(t, Config{ConnectionStateRecovery: ConnectionStateRecovery{MaxDisconnectionDuration: time.Minute}},
		WithAdapter(plain))
	srv.OnConnection(func(s *Socket) { _ = s.Emit("e", 1); _ = s.Namespace().Emit("b", 2) })
	c2 := dialRaw(t, hs2)
	if _, pid := connectReply(t, c2, ""); pid != "" {
		t.Fatalf("pid %q with an adapter that keeps no sessions", pid)
	}
	for range 2 {
		if _, args := event(t, c2); len(args) != 1 {
			t.Fatalf("offset %s with an adapter that keeps no sessions", args)
		}
	}
}

// A stream of broadcasts goes on while the client loses its connection three times and
// recovers: it sees every packet exactly once, in order, across the four connections.
func TestRecoveryExactlyOnceUnderBroadcasts(t *testing.T) {
	const total = 3000
	f := newRecoveryFixture(t, ConnectionStateRecovery{MaxDisconnectionDuration: time.Minute})
	c := f.dial()
	sid, pid := f.connect(t, c, "")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 1; i <= total; i++ {
			_ = f.nsp.To("r").Emit("n", i)
			if i%50 == 0 {
				time.Sleep(time.Millisecond) // let the client keep up
			}
		}
	}()
	t.Cleanup(func() { <-done })
	var got []int
	var offset string
	for gen := 0; ; gen++ {
		stopAt := len(got) + 400 + gen*100
		for len(got) < total && (gen == 3 || len(got) < stopAt) {
			_, args := event(t, c)
			var n int
			_ = json.Unmarshal(args[0], &n)
			got = append(got, n)
			offset = str(args[1])
		}
		if gen == 3 || len(got) == total {
			break
		}
		_ = c.ws.Close()
		f.waitLost(t)
		c = f.dial()
		auth, _ := json.Marshal(map[string]string{"pid": pid, "offset": offset})
		if s, _ := f.connect(t, c, string(auth)); s != sid {
			t.Fatalf("connection %d not recovered", gen+2)
		}
	}
	for len(got) < total {
		_, args := event(t, c)
		var n int
		_ = json.Unmarshal(args[0], &n)
		got = append(got, n)
	}
	for i, n := range got {
		if n != i+1 {
			t.Fatalf("packet %d is %d, want %d (got %v...)", i, n, i+1, got[max(0, i-3):min(len(got), i+3)])
		}
	}
}

// Binary events get an offset and are replayed with their attachments, as in socket.io.
func TestRecoveryBinaryEvents(t *testing.T) {
	f := newRecoveryFixture(t, ConnectionStateRecovery{MaxDisconnectionDuration: time.Minute})
	c := f.dial()
	sid, pid := f.connect(t, c, "")
	_ = f.nsp.To("r").Emit("bin", []byte{1, 2})
	head := c.expectPrefix(`451-["bin",{"_placeholder":true,"num":0},"`)
	if b := c.next(); !bytes.Equal(b.binary, []byte{1, 2}) {
		t.Fatalf("attachment %v", b.binary)
	}
	var arr []json.RawMessage
	if err := json.Unmarshal([]byte(strings.TrimPrefix(head, "451-")), &arr); err != nil || len(arr) != 3 {
		t.Fatalf("binary event %q", head)
	}
	offset := str(arr[2])
	_ = c.ws.Close()
	f.waitLost(t)
	_ = f.nsp.To("r").Emit("bin", []byte{3, 4, 5})
	c2 := f.dial()
	if got, _ := f.connect(t, c2, `{"pid":"`+pid+`","offset":"`+offset+`"}`); got != sid {
		t.Fatal("not recovered")
	}
	c2.expectPrefix(`451-["bin",{"_placeholder":true,"num":0},"`)
	if b := c2.next(); !bytes.Equal(b.binary, []byte{3, 4, 5}) {
		t.Fatalf("replayed attachment %v", b.binary)
	}
}

type recoveryGuardedGateway struct {
	decorators.Gateway `use:"auth"`

	_ decorators.Subscribe `ws:"ping"`
}

func (g *recoveryGuardedGateway) OnPing() string { return "pong" }

// A gateway's handshake guards run for a recovered socket too (only the Use middleware is
// skipped): a token refused on the reconnection refuses the recovery.
func TestRecoveryRunsGatewayGuards(t *testing.T) {
	var guards atomic.Int32
	f := newRecoveryFixture(t, ConnectionStateRecovery{MaxDisconnectionDuration: time.Minute},
		WithNamed("auth", Guard(func(ec *ExecutionContext) error {
			if ec.IsHandshake() {
				guards.Add(1)
			}
			var a struct{ Token string }
			_ = ec.Socket.DecodeAuth(&a)
			if a.Token != "t" {
				return NewError(CodeUnauthenticated, "Authentication required")
			}
			return nil
		})))
	if err := f.srv.Register(&recoveryGuardedGateway{}); err != nil {
		t.Fatal(err)
	}
	session := func() (sid, pid, offset string) {
		c := f.dial()
		sid, pid = f.connect(t, c, `{"token":"t"}`)
		_ = f.nsp.To(sid).Emit("e", 1)
		_, args := event(t, c)
		_ = c.ws.Close()
		f.waitLost(t)
		return sid, pid, str(args[1])
	}
	sid, pid, offset := session()
	c := f.dial()
	c.send(`40{"pid":"` + pid + `","offset":"` + offset + `"}`)
	c.expect(`44{"message":"Authentication required","data":{"code":"unauthenticated"}}`)

	sid, pid, offset = session()
	before := guards.Load()
	c2 := f.dial()
	if got, _ := f.connect(t, c2, `{"token":"t","pid":"`+pid+`","offset":"`+offset+`"}`); got != sid {
		t.Fatal("not recovered with a valid token")
	}
	if n := guards.Load() - before; n != 1 {
		t.Fatalf("the handshake guard ran %d times for the recovery, want 1", n)
	}
	if n := f.middlewares.Load(); n != 2 {
		t.Fatalf("the Use middleware ran %d times, want 2 (for the two new sockets only)", n)
	}
}
