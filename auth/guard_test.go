package auth

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/sockgate/sockgate/decorators"
	"github.com/sockgate/sockgate/gateway"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type whoamiGateway struct {
	decorators.Gateway `namespace:"/secure" use:"jwt"`

	_ decorators.Subscribe `ws:"whoami"`
}

func (g *whoamiGateway) OnWhoami(s *gateway.Socket) map[string]any {
	return map[string]any{"user": UserID(s), "role": ClaimsOf(s)["role"]}
}

// lateGateway names the guard on one handler only: the handshake is not checked.
type lateGateway struct {
	decorators.Gateway `namespace:"/late"`

	_ decorators.Subscribe `ws:"whoami" use:"jwt"`
	_ decorators.Subscribe `ws:"open"`
}

func (g *lateGateway) OnWhoami(s *gateway.Socket) string { return UserID(s) }
func (g *lateGateway) OnOpen() string                    { return "anyone" }

// testClock is a clock tests move forward.
type testClock struct{ ns atomic.Int64 }

func (c *testClock) now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *testClock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *testClock) add(d time.Duration) { c.ns.Add(int64(d)) }

func newGuardServer(t *testing.T, j *JWT) *httptest.Server {
	t.Helper()
	srv, err := gateway.NewServer(gateway.Config{},
		gateway.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		gateway.WithNamed("jwt", j.Guard()))
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []any{&whoamiGateway{}, &lateGateway{}} {
		if err := srv.Register(g); err != nil {
			t.Fatal(err)
		}
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		_ = srv.Close()
		hs.Close()
	})
	return hs
}

// wsConn speaks Engine.IO/Socket.IO text frames by hand.
type wsConn struct {
	tb testing.TB
	ws *websocket.Conn
}

func dial(tb testing.TB, hs *httptest.Server, header http.Header) *wsConn {
	tb.Helper()
	url := "ws" + strings.TrimPrefix(hs.URL, "http") + "/socket.io/?EIO=4&transport=websocket"
	ws, _, err := websocket.DefaultDialer.Dial(url, header)
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	tb.Cleanup(func() { _ = ws.Close() })
	c := &wsConn{tb: tb, ws: ws}
	if f := c.read(); !strings.HasPrefix(f, "0") {
		tb.Fatalf("first frame %q, want the open packet", f)
	}
	return c
}

func (c *wsConn) send(s string) {
	c.tb.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(s)); err != nil {
		c.tb.Fatalf("write: %v", err)
	}
}

// read returns the next text frame that is not a ping (pings are answered).
func (c *wsConn) read() string {
	c.tb.Helper()
	for {
		_ = c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, b, err := c.ws.ReadMessage()
		if err != nil {
			c.tb.Fatalf("read: %v", err)
		}
		if string(b) == "2" {
			c.send("3")
			continue
		}
		return string(b)
	}
}

func (c *wsConn) expect(want string) {
	c.tb.Helper()
	if got := c.read(); got != want {
		c.tb.Fatalf("got  %s\nwant %s", got, want)
	}
}

func (c *wsConn) expectPrefix(want string) string {
	c.tb.Helper()
	got := c.read()
	if !strings.HasPrefix(got, want) {
		c.tb.Fatalf("got  %s\nwant %s...", got, want)
	}
	return got
}

func authPayload(token string) string {
	b, _ := json.Marshal(map[string]string{"token": token})
	return string(b)
}

const (
	refusedRequired = `44/secure,{"message":"Authentication required","data":{"code":"unauthenticated"}}`
	refusedInvalid  = `44/secure,{"message":"Invalid token","data":{"code":"unauthenticated"}}`
)

func TestGuardHandshake(t *testing.T) {
	clock := &testClock{}
	clock.set(testNow)
	j := newTestJWT(t, Config{Now: clock.now})
	hs := newGuardServer(t, j)
	good := mint(t, jwt.SigningMethodHS256, testSecret, jwt.MapClaims{"sub": "alice", "role": "admin", "exp": unixAt(time.Hour)})

	tests := []struct {
		name   string
		header http.Header
		auth   string // CONNECT payload; empty for none
		want   string // the reply, or its prefix when it ends with "..."
	}{
		{name: "payload token", auth: authPayload(good), want: `40/secure,{"sid":"...`},
		{name: "payload bearer token", auth: authPayload("Bearer " + good), want: `40/secure,{"sid":"...`},
		{name: "header token", header: http.Header{"Authorization": {"Bearer " + good}}, want: `40/secure,{"sid":"...`},
		{name: "payload wins over header", header: http.Header{"Authorization": {"Bearer junk"}}, auth: authPayload(good), want: `40/secure,{"sid":"...`},
		{name: "no payload", want: refusedRequired},
		{name: "empty payload", auth: `{}`, want: refusedRequired},
		{name: "empty token", auth: authPayload(""), want: refusedRequired},
		{name: "null token", auth: `{"token":null}`, want: refusedRequired},
		{name: "other header scheme", header: http.Header{"Authorization": {"Basic YTpi"}}, want: refusedRequired},
		{name: "token not a string", auth: `{"token":42}`, want: refusedInvalid},
		{name: "garbage", auth: authPayload("garbage"), want: refusedInvalid},
		{name: "bad header token", header: http.Header{"Authorization": {"Bearer garbage"}}, want: refusedInvalid},
		{name: "expired", auth: authPayload(mint(t, jwt.SigningMethodHS256, testSecret, jwt.MapClaims{"sub": "a", "exp": unixAt(-time.Minute)})), want: refusedInvalid},
		{name: "wrong secret", auth: authPayload(mint(t, jwt.SigningMethodHS256, []byte("nope"), jwt.MapClaims{"sub": "a"})), want: refusedInvalid},
		{name: "alg none", auth: authPayload(mint(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, jwt.MapClaims{"sub": "a"})), want: refusedInvalid},
		{name: "no user", auth: authPayload(mint(t, jwt.SigningMethodHS256, testSecret, jwt.MapClaims{"role": "a"})), want: refusedInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, hs, tt.header)
			c.send(`40/secure,` + tt.auth)
			if p, ok := strings.CutSuffix(tt.want, "..."); ok {
				c.expectPrefix(p)
				c.send(`42/secure,1["whoami"]`)
				c.expect(`43/secure,1[{"role":"admin","user":"alice"}]`)
				return
			}
			c.expect(tt.want)
			// The connection stays usable for a good CONNECT.
			c.send(`40/secure,` + authPayload(good))
			c.expectPrefix(`40/secure,{"sid":"`)
		})
	}
}

func TestGuardEventsAfterExpiry(t *testing.T) {
	clock := &testClock{}
	clock.set(testNow)
	j := newTestJWT(t, Config{Now: clock.now, Leeway: time.Second})
	hs := newGuardServer(t, j)
	tok := mint(t, jwt.SigningMethodHS256, testSecret, jwt.MapClaims{"sub": "alice", "exp": unixAt(time.Minute)})
	c := dial(t, hs, nil)
	c.send(`40/secure,` + authPayload(tok))
	c.expectPrefix(`40/secure,{"sid"`)
	c.send(`42/secure,1["whoami"]`)
	c.expect(`43/secure,1[{"role":null,"user":"alice"}]`)
	clock.add(time.Minute) // within the leeway
	c.send(`42/secure,2["whoami"]`)
	c.expect(`43/secure,2[{"role":null,"user":"alice"}]`)
	clock.add(time.Second)
	c.send(`42/secure,3["whoami"]`)
	c.expect(`43/secure,3[{"status":"error","code":"unauthenticated","message":"Token expired"}]`)
	c.expect(`42/secure,["exception",{"status":"error","code":"unauthenticated","message":"Token expired","event":"whoami"}]`)
}

func TestGuardOnOneHandler(t *testing.T) {
	j := newTestJWT(t, Config{})
	hs := newGuardServer(t, j)
	c := dial(t, hs, nil)
	c.send(`40/late,`)
	c.expectPrefix(`40/late,{"sid"`)
	c.send(`42/late,1["open"]`)
	c.expect(`43/late,1["anyone"]`)
	c.send(`42/late,2["whoami"]`)
	c.expect(`43/late,2[{"status":"error","code":"unauthenticated","message":"Authentication required"}]`)
	c.expectPrefix(`42/late,["exception"`)

	tok := mint(t, jwt.SigningMethodHS256, testSecret, jwt.MapClaims{"sub": "bob", "exp": unixAt(time.Hour)})
	c2 := dial(t, hs, nil)
	c2.send(`40/late,` + authPayload(tok))
	c2.expectPrefix(`40/late,{"sid"`)
	c2.send(`42/late,1["whoami"]`)
	c2.expect(`43/late,1["bob"]`)
}

// The guard keeps the identity under its own key: the socket's data stays the
// application's, on this node and in what FetchSockets returns.
func TestGuardLeavesDataToTheApplication(t *testing.T) {
	j := newTestJWT(t, Config{})
	srv, err := gateway.NewServer(gateway.Config{},
		gateway.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		gateway.WithNamed("jwt", j.Guard()))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Register(&whoamiGateway{}); err != nil {
		t.Fatal(err)
	}
	nsp := of(t, srv, "/secure")
	nsp.Use(func(_ context.Context, s *gateway.Socket) error { // runs before the guard
		s.SetData(map[string]string{"theme": "dark"})
		return nil
	})
	connected := make(chan *gateway.Socket, 1)
	nsp.OnConnection(func(s *gateway.Socket) { connected <- s })
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { _ = srv.Close(); hs.Close() })
	tok := mint(t, jwt.SigningMethodHS256, testSecret, jwt.MapClaims{"sub": "alice", "role": "admin", "exp": unixAt(time.Hour)})
	c := dial(t, hs, nil)
	c.send(`40/secure,` + authPayload(tok))
	c.expectPrefix(`40/secure,{"sid"`)
	s := <-connected

	id, ok := IdentityOf(s)
	if !ok || id.UserID != "alice" || id.Claims["role"] != "admin" || UserID(s) != "alice" {
		t.Fatalf("identity %+v, %v", id, ok)
	}
	if d, _ := s.Data().(map[string]string); d["theme"] != "dark" {
		t.Fatalf("the guard replaced the application's data: %v", s.Data())
	}
	socks, err := nsp.FetchSockets(context.Background())
	if err != nil || len(socks) != 1 || string(socks[0].Data()) != `{"theme":"dark"}` {
		t.Fatalf("FetchSockets: %v, %v", socks, err)
	}
}

func TestHTTPMiddleware(t *testing.T) {
	j := newTestJWT(t, Config{})
	good, err := j.Sign("alice", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	h := j.HTTPMiddleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := FromContext(r.Context())
		if !ok {
			t.Error("no identity in the context")
			return
		}
		_, _ = io.WriteString(w, "hello "+id.UserID)
	}))
	tests := []struct {
		name      string
		header    string
		status    int
		body      string
		challenge string
	}{
		{"valid", "Bearer " + good, 200, "hello alice", ""},
		{"lower-case scheme", "bearer " + good, 200, "hello alice", ""},
		{"missing", "", 401, `{"code":"unauthenticated","message":"Authentication required"}` + "\n", "Bearer"},
		{"other scheme", "Basic YTpi", 401, `{"code":"unauthenticated","message":"Authentication required"}` + "\n", "Bearer"},
		{"invalid", "Bearer x.y.z", 401, `{"code":"unauthenticated","message":"Invalid token"}` + "\n", `Bearer error="invalid_token"`},
		{"token without scheme", good, 401, `{"code":"unauthenticated","message":"Authentication required"}` + "\n", "Bearer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/notify", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.status || w.Body.String() != tt.body {
				t.Fatalf("got %d %q, want %d %q", w.Code, w.Body.String(), tt.status, tt.body)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tt.challenge {
				t.Fatalf("WWW-Authenticate %q, want %q", got, tt.challenge)
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	j := newTestJWT(b, Config{})
	tok, err := j.Sign("alice", time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := j.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGuardEvent is the per-event cost of the guard on an authenticated socket.
func BenchmarkGuardEvent(b *testing.B) {
	j := newTestJWT(b, Config{Now: time.Now})
	srv, err := gateway.NewServer(gateway.Config{},
		gateway.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		gateway.WithNamed("jwt", j.Guard()))
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.Register(&whoamiGateway{}); err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	b.Cleanup(func() { _ = srv.Close(); hs.Close() })
	tok, err := j.Sign("alice", time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	c := dial(b, hs, nil)
	c.send(`40/secure,` + authPayload(tok))
	c.expectPrefix(`40/secure,{"sid"`)
	socks := of(b, srv, "/secure").Sockets()
	if len(socks) != 1 {
		b.Fatalf("%d sockets", len(socks))
	}
	guard := j.Guard()
	ec := &gateway.ExecutionContext{Socket: socks[0], Event: "whoami"}
	b.ReportAllocs()
	for b.Loop() {
		if err := guard(ec); err != nil {
			b.Fatal(err)
		}
	}
}

// TestGuardDisconnectsAtExpiry: a connected socket is disconnected by the server when its
// token expires plus the leeway; before, it receives broadcasts, after, it is gone.
func TestGuardDisconnectsAtExpiry(t *testing.T) {
	clock := &testClock{}
	clock.set(testNow.Add(500 * time.Millisecond)) // the token has 500ms left
	j := newTestJWT(t, Config{Now: clock.now, Leeway: 300 * time.Millisecond})
	srv, err := gateway.NewServer(gateway.Config{},
		gateway.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		gateway.WithNamed("jwt", j.Guard()))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Register(&whoamiGateway{}); err != nil {
		t.Fatal(err)
	}
	reasons := make(chan gateway.DisconnectReason, 2)
	nsp := of(t, srv, "/secure")
	nsp.OnConnection(func(s *gateway.Socket) {
		s.OnDisconnect(func(r gateway.DisconnectReason) { reasons <- r })
	})
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { _ = srv.Close(); hs.Close() })

	short := mint(t, jwt.SigningMethodHS256, testSecret, jwt.MapClaims{"sub": "alice", "exp": unixAt(time.Second)})
	long := mint(t, jwt.SigningMethodHS256, testSecret, jwt.MapClaims{"sub": "bob", "exp": unixAt(time.Hour)})
	start := time.Now()
	a := dial(t, hs, nil)
	a.send(`40/secure,` + authPayload(short))
	a.expectPrefix(`40/secure,{"sid"`)
	b := dial(t, hs, nil)
	b.send(`40/secure,` + authPayload(long))
	b.expectPrefix(`40/secure,{"sid"`)
	if err := nsp.Emit("news", 1); err != nil {
		t.Fatal(err)
	}
	a.expect(`42/secure,["news",1]`)
	b.expect(`42/secure,["news",1]`)

	a.expect(`41/secure,`) // a server DISCONNECT: socket.io-client reports "io server disconnect"
	if waited := time.Since(start); waited < 700*time.Millisecond {
		t.Fatalf("disconnected after %v, before the token's 500ms and the 300ms leeway", waited)
	}
	if r := <-reasons; r != ReasonTokenExpired {
		t.Fatalf("OnDisconnect reason %q, want %q", r, ReasonTokenExpired)
	}
	if err := nsp.Emit("news", 2); err != nil {
		t.Fatal(err)
	}
	b.expect(`42/secure,["news",2]`)
	if n := nsp.Len(); n != 1 {
		t.Fatalf("%d sockets left, want 1", n)
	}
	// The connection stays; the expired socket may connect again with a fresh token.
	a.send(`40/secure,` + authPayload(long))
	a.expectPrefix(`40/secure,{"sid"`)
}

// of returns namespace name of srv, failing tb when it cannot be created.
func of(tb testing.TB, srv *gateway.Server, name string) *gateway.Namespace {
	tb.Helper()
	n, err := srv.Of(name)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}
