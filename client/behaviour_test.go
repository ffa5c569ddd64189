package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockgate/sockgate/client"
	"github.com/sockgate/sockgate/gateway/gatewaytest"
)

// TestBehaviours runs one table of client behaviours against sockgate and against the
// Node socket.io 4.8 reference server (interop/js/refserver.mjs), whose handlers are the
// same (see mirror).
func TestBehaviours(t *testing.T) {
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			for _, bc := range behaviours {
				t.Run(bc.name, func(t *testing.T) { bc.run(t, tg.start(t)) })
			}
		})
	}
}

type behaviour struct {
	name string
	run  func(t *testing.T, srv server)
}

// transports are the three transport choices of a client.
var transports = []struct {
	name string
	list []string
}{
	{"polling", []string{client.TransportPolling}},
	{"websocket", []string{client.TransportWebSocket}},
	{"polling-then-websocket", nil},
}

var behaviours = func() []behaviour {
	var bs []behaviour
	for _, tr := range transports {
		bs = append(bs,
			behaviour{"traffic/" + tr.name, func(t *testing.T, srv server) { testTraffic(t, srv, tr.list) }},
			behaviour{"heartbeat/" + tr.name, func(t *testing.T, srv server) { testHeartbeat(t, srv, tr.list) }},
		)
	}
	return append(bs,
		behaviour{"namespaces", testNamespaces},
		behaviour{"connect_error", testConnectError},
		behaviour{"auth function at every connection", testAuthFunc},
		behaviour{"reconnect after restart", testReconnectAfterRestart},
		behaviour{"give up after attempts", testGiveUp},
		behaviour{"buffered emits after reconnection", testBufferedEmits},
		behaviour{"send buffer off and bounded", testSendBufferLimits},
		behaviour{"ack fails on timeout and on lost connection", testAckFailures},
		behaviour{"server disconnect", testServerDisconnect},
		behaviour{"client disconnect", testClientDisconnect},
		behaviour{"server stops pinging", testServerStopsPinging},
	)
}()

// fastReconnect reconnects quickly and without randomization, so that tests are short and
// their delays predictable.
func fastReconnect(o client.Options) client.Options {
	o.ReconnectionDelay = 20 * time.Millisecond
	o.ReconnectionDelayMax = 100 * time.Millisecond
	o.RandomizationFactor = -1
	return o
}

// connect opens namespace nsp of url with a Manager whose events are recorded from the
// start, and consumes the "connect" event.
func connect(t *testing.T, url, nsp string, opts client.Options) (*gatewaytest.Client, *mgrLog) {
	t.Helper()
	m, err := client.New(url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	log := recordManager(m)
	s, err := m.Socket(nsp)
	if err != nil {
		t.Fatal(err)
	}
	c := gatewaytest.Record(s)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Connect(ctx); err != nil {
		t.Fatalf("connect %s%s: %v", url, nsp, err)
	}
	c.Expect(t, client.EventConnect)
	return c, log
}

type welcome struct {
	Nsp    string            `json:"nsp"`
	Auth   map[string]string `json:"auth"`
	Query  string            `json:"query"`
	Header string            `json:"header"`
}

func expectWelcome(t *testing.T, c *gatewaytest.Client) welcome {
	t.Helper()
	var w welcome
	if err := c.Expect(t, "welcome").Args.Decode(0, &w); err != nil {
		t.Fatal(err)
	}
	return w
}

// expectEcho waits for an "echo" event and returns its arguments.
func expectEcho(t *testing.T, c *gatewaytest.Client) client.Args {
	t.Helper()
	return c.Expect(t, "echo").Args
}

func rawArgs(a client.Args) []string {
	out := make([]string, a.Len())
	for i := range out {
		out[i] = string(a.Raw(i))
	}
	return out
}

func testTraffic(t *testing.T, srv server, list []string) {
	c, log := connect(t, srv.URL()+"?room=lobby", "/", client.Options{
		Transports: list,
		Auth:       map[string]string{"token": "abc"},
		Header:     http.Header{"X-Test": {"yes"}},
	})
	w := expectWelcome(t, c)
	if w.Nsp != "/" || w.Auth["token"] != "abc" || w.Query != "lobby" || w.Header != "yes" {
		t.Fatalf("welcome %+v, want namespace /, the auth token, the query and the header", w)
	}
	// A burst right after the connection, during the upgrade when there is one, arrives
	// whole and in order.
	for i := range 20 {
		if err := c.Emit("echo", i); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 20 {
		if got := rawArgs(expectEcho(t, c)); !slices.Equal(got, []string{fmt.Sprint(i)}) {
			t.Fatalf("echo %d: %v", i, got)
		}
	}
	if list == nil {
		log.waitFor(t, client.EventUpgrade, 1)
	}
	want := client.TransportWebSocket
	if len(list) == 1 {
		want = list[0]
	}
	if got := c.Manager().Transport(); got != want {
		t.Fatalf("transport %q, want %q", got, want)
	}

	// Client to server, then back as an event.
	if err := c.Emit("echo", 1, "two", map[string]int{"three": 3}); err != nil {
		t.Fatal(err)
	}
	if got := rawArgs(expectEcho(t, c)); !slices.Equal(got, []string{`1`, `"two"`, `{"three":3}`}) {
		t.Fatalf("echo %v", got)
	}
	// Client to server with an acknowledgement.
	if got := rawArgs(c.EmitWithAck(t, "echo", "x", 2)); !slices.Equal(got, []string{`"x"`, `2`}) {
		t.Fatalf("ack %v", got)
	}
	type reply struct {
		Got string `json:"got"`
	}
	r, err := client.EmitWithAckAs[string](ctxT(t), c.Socket, "echo", "typed")
	if err != nil || r != "typed" {
		t.Fatalf("EmitWithAckAs: %q, %v", r, err)
	}
	// Server to client with an acknowledgement.
	c.On("question", func(e *client.Event) {
		var q string
		_ = e.Args.Decode(0, &q)
		_ = e.Ack(reply{Got: q})
	})
	_ = c.Emit("ask", "q1")
	var ans reply
	if err := c.Expect(t, "answer").Args.Decode(0, &ans); err != nil || ans.Got != "q1" {
		t.Fatalf("answer %+v, %v", ans, err)
	}

	// Binary values, both ways, also nested and in acknowledgements.
	type nested struct {
		Nested [][]byte `json:"nested"`
	}
	if err := c.Emit("echo", []byte{1, 2, 3}, nested{Nested: [][]byte{{4, 5}, {}}}); err != nil {
		t.Fatal(err)
	}
	var (
		b []byte
		n nested
	)
	if err := expectEcho(t, c).Scan(&b, &n); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, []byte{1, 2, 3}) || len(n.Nested) != 2 || !bytes.Equal(n.Nested[0], []byte{4, 5}) || len(n.Nested[1]) != 0 {
		t.Fatalf("binary echo %v %v", b, n.Nested)
	}
	a := c.EmitWithAck(t, "echo", []byte("bin"), "text")
	if err := a.Scan(&b); err != nil || string(b) != "bin" || len(a.Attachments()) != 1 {
		t.Fatalf("binary ack %v: %v", a, err)
	}
	c.Off("question")
	c.On("question", func(e *client.Event) { _ = e.Ack([]byte{9, 8}) })
	_ = c.Emit("ask")
	if err := c.Expect(t, "answer").Args.Decode(0, &b); err != nil || !bytes.Equal(b, []byte{9, 8}) {
		t.Fatalf("binary answer %v, %v", b, err)
	}
}

// testHeartbeat checks that the client answers pings: a server pinging every 100ms with
// a 200ms timeout keeps the connection through several cycles.
func testHeartbeat(t *testing.T, srv server, list []string) {
	c, log := connect(t, srv.HeartbeatURL(t), "/", client.Options{Transports: list, DisableReconnection: true})
	pings := 0
	m := c.Manager()
	got := make(chan struct{}, 16)
	m.On(client.EventPing, func(client.ManagerEvent) {
		select {
		case got <- struct{}{}:
		default: // a handler must not block Close
		}
	})
	for pings < 4 {
		select {
		case <-got:
			pings++
		case <-time.After(5 * time.Second):
			t.Fatalf("%d pings, then none for 5s; manager events: %s", pings, describeAll(log.events()))
		}
	}
	if !c.Connected() || log.count(client.EventClose) != 0 {
		t.Fatalf("connection lost while pings were answered: %s", describeAll(log.events()))
	}
	if got := rawArgs(c.EmitWithAck(t, "echo", "alive")); !slices.Equal(got, []string{`"alive"`}) {
		t.Fatalf("ack %v", got)
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func testNamespaces(t *testing.T, srv server) {
	m, err := client.New(srv.URL(), client.Options{Transports: []string{client.TransportWebSocket}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	opened := atomic.Int32{}
	m.On(client.EventOpen, func(client.ManagerEvent) { opened.Add(1) })
	rootS, _ := m.Socket("/")
	chatS, err := m.Socket("/chat", client.SocketOptions{Auth: map[string]string{"token": "chat"}})
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := m.Socket("chat"); again != chatS {
		t.Fatal("Socket returned a second socket for the same namespace")
	}
	root, chat := gatewaytest.Record(rootS), gatewaytest.Record(chatS)
	for _, s := range []*client.Socket{rootS, chatS} {
		if err := s.Connect(ctxT(t)); err != nil {
			t.Fatal(err)
		}
	}
	if w := expectWelcome(t, root); w.Nsp != "/" || len(w.Auth) != 0 {
		t.Fatalf("root welcome %+v", w)
	}
	if w := expectWelcome(t, chat); w.Nsp != "/chat" || w.Auth["token"] != "chat" {
		t.Fatalf("chat welcome %+v", w)
	}
	if n := opened.Load(); n != 1 {
		t.Fatalf("%d Engine.IO connections opened for two namespaces, want 1", n)
	}
	if rootS.ID() == "" || chatS.ID() == "" || rootS.ID() == chatS.ID() {
		t.Fatalf("socket ids %q and %q", rootS.ID(), chatS.ID())
	}
	if got := rawArgs(chat.EmitWithAck(t, "echo", "on chat")); !slices.Equal(got, []string{`"on chat"`}) {
		t.Fatalf("chat ack %v", got)
	}
	// Leaving one namespace keeps the other working on the same connection.
	chatS.Disconnect()
	if r := chat.ExpectDisconnect(t); r != client.ReasonIOClientDisconnect {
		t.Fatalf("chat disconnect %q", r)
	}
	if got := rawArgs(root.EmitWithAck(t, "echo", "still here")); !slices.Equal(got, []string{`"still here"`}) {
		t.Fatalf("root ack %v", got)
	}
	if !rootS.Connected() || chatS.Connected() {
		t.Fatalf("connected: root %v, chat %v", rootS.Connected(), chatS.Connected())
	}
}

func testConnectError(t *testing.T, srv server) {
	err := gatewaytest.DialErr(t, srv.URL()+"/", client.Options{Auth: map[string]string{"token": "bad"}})
	var ce *client.ConnectError
	if !errors.As(err, &ce) || ce.Message != "not authorized" {
		t.Fatalf("err %v, want a ConnectError \"not authorized\"", err)
	}
	var data struct {
		Reason string `json:"reason"`
	}
	if err := ce.DecodeData(&data); err != nil || data.Reason != "bad token" {
		t.Fatalf("connect_error data %s: %v", ce.Data, err)
	}

	err = gatewaytest.DialErr(t, srv.URL()+"/nowhere", client.Options{Transports: []string{client.TransportWebSocket}})
	if !errors.As(err, &ce) || ce.Message != "Invalid namespace" {
		t.Fatalf("err %v, want a ConnectError \"Invalid namespace\"", err)
	}

	// The event carries the same error, and the refused socket does not retry.
	m, err := client.New(srv.URL(), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	s, _ := m.Socket("/", client.SocketOptions{Auth: map[string]string{"token": "bad"}})
	c := gatewaytest.Record(s)
	if err := s.Connect(ctxT(t)); !errors.As(err, &ce) {
		t.Fatalf("Connect: %v", err)
	}
	ev := c.Expect(t, client.EventConnectError)
	if !errors.As(ev.Err, &ce) || ce.Message != "not authorized" {
		t.Fatalf("connect_error event %v", ev.Err)
	}
	if s.Active() {
		t.Fatal("a refused socket is still active")
	}
}

func testAuthFunc(t *testing.T, srv server) {
	var calls atomic.Int32
	opts := fastReconnect(client.Options{
		Transports: []string{client.TransportWebSocket},
		AuthFunc: func(context.Context) (any, error) {
			return map[string]string{"token": fmt.Sprintf("t%d", calls.Add(1))}, nil
		},
	})
	c, _ := connect(t, srv.URL(), "/", opts)
	if w := expectWelcome(t, c); w.Auth["token"] != "t1" {
		t.Fatalf("first welcome %+v", w)
	}
	_ = c.Emit("drop-me")
	if r := c.ExpectDisconnect(t); !isTransportLoss(r) {
		t.Fatalf("disconnect %q", r)
	}
	c.Expect(t, client.EventConnect)
	if w := expectWelcome(t, c); w.Auth["token"] != "t2" {
		t.Fatalf("welcome after the reconnection %+v, want a fresh token", w)
	}
}

// isTransportLoss reports whether reason says the connection was lost from below.
func isTransportLoss(reason string) bool {
	return reason == client.ReasonTransportClose || reason == client.ReasonTransportError
}

func testReconnectAfterRestart(t *testing.T, srv server) {
	c, log := connect(t, srv.URL(), "/", fastReconnect(client.Options{}))
	expectWelcome(t, c)
	srv.Kill(t)
	if r := c.ExpectDisconnect(t); !isTransportLoss(r) {
		t.Fatalf("disconnect %q, want transport close or error", r)
	}
	log.waitFor(t, client.EventReconnectError, 2)
	srv.Restart(t)
	c.Expect(t, client.EventConnect)
	expectWelcome(t, c)
	if got := rawArgs(c.EmitWithAck(t, "echo", "back")); !slices.Equal(got, []string{`"back"`}) {
		t.Fatalf("ack after reconnection %v", got)
	}

	// The Manager's events, in order: close, then attempts 1..n each ended by an error but
	// the last, which opens and reports reconnect(n).
	evs := log.events()
	i := slices.IndexFunc(evs, func(e client.ManagerEvent) bool { return e.Name == client.EventClose })
	if i < 0 || !isTransportLoss(evs[i].Reason) {
		t.Fatalf("no close event with a transport reason: %s", describeAll(evs))
	}
	attempt := 0
	for _, e := range evs[i+1:] {
		switch e.Name {
		case client.EventReconnectAttempt:
			attempt++
			if e.Attempt != attempt {
				t.Fatalf("reconnect_attempt %d, want %d: %s", e.Attempt, attempt, describeAll(evs))
			}
		case client.EventReconnect:
			if e.Attempt != attempt || attempt < 3 {
				t.Fatalf("reconnect after %d attempts, %d made: %s", e.Attempt, attempt, describeAll(evs))
			}
			return
		}
	}
	t.Fatalf("no reconnect event: %s", describeAll(evs))
}

func testGiveUp(t *testing.T, srv server) {
	opts := fastReconnect(client.Options{ReconnectionAttempts: 3, Transports: []string{client.TransportWebSocket}})
	c, log := connect(t, srv.URL(), "/", opts)
	srv.Kill(t)
	c.ExpectDisconnect(t)
	log.waitFor(t, client.EventReconnectFailed, 1)
	var names []string
	for _, e := range log.events() {
		switch e.Name {
		case client.EventReconnectAttempt:
			names = append(names, fmt.Sprintf("attempt %d", e.Attempt))
		case client.EventReconnectError, client.EventReconnectFailed, client.EventReconnect:
			names = append(names, e.Name)
		}
	}
	want := []string{"attempt 1", "reconnect_error", "attempt 2", "reconnect_error", "attempt 3", "reconnect_error", "reconnect_failed"}
	if !slices.Equal(names, want) {
		t.Fatalf("events %v, want %v", names, want)
	}
	for range 3 {
		c.Expect(t, client.EventConnectError)
	}
	if c.Active() {
		t.Fatal("the socket is still active after reconnect_failed")
	}
}

func testBufferedEmits(t *testing.T, srv server) {
	c, _ := connect(t, srv.URL(), "/", fastReconnect(client.Options{}))
	expectWelcome(t, c)
	srv.Kill(t)
	c.ExpectDisconnect(t)
	if err := c.Volatile().Emit("echo", "volatile"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"b1", "b2"} {
		if err := c.Emit("echo", s); err != nil {
			t.Fatal(err)
		}
	}
	acked := make(chan []string, 1)
	go func() {
		a, err := c.Socket.EmitWithAck(context.Background(), "echo", "b3")
		if err != nil {
			acked <- []string{err.Error()}
			return
		}
		acked <- rawArgs(a)
	}()
	srv.Restart(t)
	c.Expect(t, client.EventConnect)
	// The volatile emit was dropped, the others arrive in order.
	for _, want := range []string{`"b1"`, `"b2"`} {
		if got := rawArgs(expectEcho(t, c)); !slices.Equal(got, []string{want}) {
			t.Fatalf("echo %v, want [%s]", got, want)
		}
	}
	select {
	case got := <-acked:
		if !slices.Equal(got, []string{`"b3"`}) {
			t.Fatalf("buffered ack %v", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the acknowledgement of a buffered emit did not come after the reconnection")
	}
}

func testSendBufferLimits(t *testing.T, srv server) {
	off, _ := connect(t, srv.URL(), "/", fastReconnect(client.Options{DisableSendBuffer: true}))
	small, _ := connect(t, srv.URL(), "/", fastReconnect(client.Options{SendBufferSize: 2}))
	srv.Kill(t)
	off.ExpectDisconnect(t)
	small.ExpectDisconnect(t)
	if err := off.Emit("echo", 1); !errors.Is(err, client.ErrNotConnected) {
		t.Fatalf("emit without a send buffer: %v", err)
	}
	for i := range 2 {
		if err := small.Emit("echo", i); err != nil {
			t.Fatal(err)
		}
	}
	if err := small.Emit("echo", 2); !errors.Is(err, client.ErrSendBufferFull) {
		t.Fatalf("emit beyond the send buffer: %v", err)
	}
}

func testAckFailures(t *testing.T, srv server) {
	c, _ := connect(t, srv.URL(), "/", fastReconnect(client.Options{Transports: []string{client.TransportWebSocket}}))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Socket.EmitWithAck(ctx, "hold"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("EmitWithAck past its deadline: %v", err)
	}
	// The server drops the connection instead of acknowledging.
	failed := make(chan error, 1)
	go func() {
		_, err := c.Socket.EmitWithAck(context.Background(), "drop-me")
		failed <- err
	}()
	c.ExpectDisconnect(t)
	select {
	case err := <-failed:
		if !errors.Is(err, client.ErrDisconnected) {
			t.Fatalf("EmitWithAck on a lost connection: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("EmitWithAck still waiting after the connection was lost")
	}
	c.Expect(t, client.EventConnect) // and the client reconnected
}

func testServerDisconnect(t *testing.T, srv server) {
	c, log := connect(t, srv.URL(), "/", fastReconnect(client.Options{}))
	_ = c.Emit("disconnect-me")
	if r := c.ExpectDisconnect(t); r != client.ReasonIOServerDisconnect {
		t.Fatalf("disconnect %q", r)
	}
	if c.Active() {
		t.Fatal("the socket is still active after a server disconnect")
	}
	log.waitFor(t, client.EventClose, 1)
	if n := log.count(client.EventReconnectAttempt); n != 0 {
		t.Fatalf("%d reconnection attempts after a server disconnect", n)
	}
}

func testClientDisconnect(t *testing.T, srv server) {
	c, log := connect(t, srv.URL(), "/", fastReconnect(client.Options{}))
	c.Disconnect()
	if r := c.ExpectDisconnect(t); r != client.ReasonIOClientDisconnect {
		t.Fatalf("disconnect %q", r)
	}
	if c.Active() || c.Connected() {
		t.Fatal("the socket is still active after Disconnect")
	}
	if ev := log.waitFor(t, client.EventClose, 1); ev.Reason != client.ReasonForcedClose {
		t.Fatalf("close %q", ev.Reason)
	}
	// Connect again on demand.
	if err := c.Connect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	expectWelcome(t, c)
}

func testServerStopsPinging(t *testing.T, srv server) {
	url := srv.SilentURL(t)
	c, log := connect(t, url, "/", client.Options{Transports: []string{client.TransportWebSocket}, DisableReconnection: true})
	_ = c.Emit("stop-pinging")
	start := time.Now()
	if r := c.ExpectDisconnect(t); r != client.ReasonPingTimeout {
		t.Fatalf("disconnect %q, want ping timeout", r)
	}
	// Detected after pingInterval + pingTimeout (200ms) since the last ping, not by chance.
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("ping timeout detected after %v", d)
	}
	if ev := log.waitFor(t, client.EventClose, 1); ev.Reason != client.ReasonPingTimeout {
		t.Fatalf("close %q", ev.Reason)
	}
}

// ---- Manager event log ----

type mgrLog struct {
	mu      sync.Mutex
	evs     []client.ManagerEvent
	changed chan struct{}
}

func recordManager(m *client.Manager) *mgrLog {
	l := &mgrLog{changed: make(chan struct{})}
	for _, name := range []string{
		client.EventOpen, client.EventClose, client.EventError, client.EventUpgrade,
		client.EventReconnectAttempt, client.EventReconnect, client.EventReconnectError, client.EventReconnectFailed,
	} {
		m.On(name, func(e client.ManagerEvent) {
			l.mu.Lock()
			l.evs = append(l.evs, e)
			close(l.changed)
			l.changed = make(chan struct{})
			l.mu.Unlock()
		})
	}
	return l
}

func (l *mgrLog) events() []client.ManagerEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.evs)
}

func (l *mgrLog) count(name string) int {
	n := 0
	for _, e := range l.events() {
		if e.Name == name {
			n++
		}
	}
	return n
}

// waitFor waits until n events called name were recorded and returns the n-th.
func (l *mgrLog) waitFor(t *testing.T, name string, n int) client.ManagerEvent {
	t.Helper()
	timer := time.NewTimer(10 * time.Second)
	defer timer.Stop()
	for {
		l.mu.Lock()
		seen := 0
		for _, e := range l.evs {
			if e.Name == name {
				if seen++; seen == n {
					l.mu.Unlock()
					return e
				}
			}
		}
		changed := l.changed
		l.mu.Unlock()
		select {
		case <-changed:
		case <-timer.C:
			t.Fatalf("%d %q manager events did not come within 10s; got %s", n, name, describeAll(l.events()))
		}
	}
}

func describeAll(evs []client.ManagerEvent) string {
	parts := make([]string, 0, len(evs))
	for _, e := range evs {
		s := e.Name
		switch {
		case e.Attempt > 0:
			s += fmt.Sprintf("(%d)", e.Attempt)
		case e.Reason != "":
			s += "(" + e.Reason + ")"
		case e.Err != nil:
			s += "(" + e.Err.Error() + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}
