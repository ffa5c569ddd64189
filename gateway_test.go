package sockgate_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/fx"
	"go.uber.org/goleak"

	"github.com/sockgate/sockgate/client"
	"github.com/sockgate/sockgate/decorators"
	"github.com/sockgate/sockgate/di"
	"github.com/sockgate/sockgate/gateway"
	"github.com/sockgate/sockgate/gateway/gatewaytest"
	"github.com/sockgate/sockgate/interop/interoptest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The end-to-end contract of the whole stack: an fx application with gateways, driven by
// the Go client and by the official socket.io-client.

// Order records what happened, in order, across goroutines.
type Order struct {
	mu    sync.Mutex
	steps []string
}

func (o *Order) Add(s string) {
	o.mu.Lock()
	o.steps = append(o.steps, s)
	o.mu.Unlock()
}

func (o *Order) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return strings.Join(o.steps, " ")
}

type Note struct {
	Title string   `json:"title" validate:"required,max=20"`
	Tags  []string `json:"tags" validate:"max=3"`
}

type Saved struct {
	Title string `json:"title"`
	By    string `json:"by"`
}

// NotesGateway is guarded by "token" on the handshake and every event; "audit" and
// "timing" wrap its handlers, and "admin" guards one event.
type NotesGateway struct {
	decorators.Gateway `namespace:"/notes" use:"token,audit"`

	_ decorators.Subscribe `ws:"save" use:"timing"`
	_ decorators.Subscribe `ws:"purge" use:"admin"`
	_ decorators.Subscribe `ws:"first"`
	_ decorators.Subscribe `ws:"slow"`

	order    *Order
	release  chan struct{}
	reasons  chan gateway.DisconnectReason
	slowRuns chan struct{}
}

func NewNotesGateway(o *Order) *NotesGateway {
	return &NotesGateway{order: o, release: make(chan struct{}), reasons: make(chan gateway.DisconnectReason, 8), slowRuns: make(chan struct{}, 8)}
}

func (g *NotesGateway) OnConnect(ctx context.Context, s *gateway.Socket) error {
	var auth struct{ Hold bool }
	_ = s.DecodeAuth(&auth)
	if auth.Hold {
		<-g.release // a slow OnConnect: events must wait for it
	}
	g.order.Add("connect")
	return nil
}

func (g *NotesGateway) OnDisconnect(s *gateway.Socket, r gateway.DisconnectReason) { g.reasons <- r }

func (g *NotesGateway) OnSave(s *gateway.Socket, n Note) (Saved, error) {
	g.order.Add("save")
	return Saved{Title: n.Title, By: s.Data().(string)}, nil
}

func (g *NotesGateway) OnPurge() error { return nil }

func (g *NotesGateway) OnFirst() string {
	g.order.Add("first")
	return "ok"
}

func (g *NotesGateway) OnSlow(ctx context.Context) string {
	g.slowRuns <- struct{}{}
	<-g.release
	return "finished"
}

func tokenGuard(ec *gateway.ExecutionContext) error {
	if ec.IsHandshake() {
		var auth struct{ Token string }
		_ = ec.Socket.DecodeAuth(&auth)
		if auth.Token == "" {
			return gateway.NewError(gateway.CodeUnauthenticated, "Authentication required")
		}
		ec.Socket.SetData(auth.Token)
		return nil
	}
	if ec.Socket.Data() == "revoked" {
		return gateway.NewError(gateway.CodeUnauthenticated, "token revoked")
	}
	return nil
}

func newApp(t *testing.T, extra ...fx.Option) (*Order, *NotesGateway, *di.Listener, *gateway.Server) {
	t.Helper()
	var (
		lis   *di.Listener
		srv   *gateway.Server
		gw    *NotesGateway
		order *Order
	)
	wrap := func(o *Order, name string) gateway.Interceptor {
		return func(ec *gateway.ExecutionContext, next func() (any, error)) (any, error) {
			o.Add(name + ">")
			v, err := next()
			o.Add("<" + name)
			return v, err
		}
	}
	app := fx.New(append([]fx.Option{
		di.Module,
		fx.NopLogger,
		fx.Supply(gateway.Config{Addr: "127.0.0.1:0", ShutdownTimeout: 5 * time.Second}),
		fx.Provide(func() *Order { return &Order{} }),
		di.Named("token", func() gateway.Guard { return tokenGuard }),
		di.Named("audit", func(o *Order) gateway.Interceptor { return wrap(o, "audit") }),
		di.Named("timing", func(o *Order) gateway.Interceptor { return wrap(o, "timing") }),
		di.Named("admin", func() gateway.Guard {
			return func(*gateway.ExecutionContext) error {
				return gateway.NewError(gateway.CodePermissionDenied, "admins only")
			}
		}),
		di.Gateway(NewNotesGateway),
		fx.Populate(&lis, &srv, &gw, &order),
	}, extra...)...)
	if err := app.Err(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := app.Stop(ctx); err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("stop: %v", err)
		}
	})
	return order, gw, lis, srv
}

func TestRegistrationErrorsStopTheApp(t *testing.T) {
	type Broken struct {
		decorators.Gateway `namespace:"/broken" use:"nobody"`

		_ decorators.Subscribe `ws:"x"`
	}
	app := fx.New(di.Module, fx.NopLogger, fx.Supply(gateway.Config{Addr: "127.0.0.1:0"}),
		di.Gateway(func() *Broken { return &Broken{} }))
	err := app.Err()
	if err == nil {
		t.Fatal("the app started with a broken gateway")
	}
	for _, want := range []string{"Broken", `unknown name "nobody"`, "no method OnX"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
}

func TestContractWithGoClient(t *testing.T) {
	order, _, lis, _ := newApp(t)
	url := lis.URL() + "/notes"

	err := gatewaytest.DialErr(t, url, client.Options{ReconnectionAttempts: 1})
	var ce *client.ConnectError
	if !errors.As(err, &ce) || ce.Message != "Authentication required" || !strings.Contains(string(ce.Data), `"unauthenticated"`) {
		t.Fatalf("refused handshake: %v", err)
	}

	c := gatewaytest.Dial(t, url, client.Options{Auth: map[string]string{"token": "alice"}})
	var saved Saved
	if err := c.EmitWithAck(t, "save", Note{Title: "groceries"}).Decode(0, &saved); err != nil {
		t.Fatal(err)
	}
	if saved != (Saved{Title: "groceries", By: "alice"}) {
		t.Fatalf("ack %+v", saved)
	}
	if got := order.String(); got != "connect audit> timing> save <timing <audit" {
		t.Fatalf("order %q", got)
	}

	// Validation: the error in the ack, and the exception event.
	a := c.EmitWithAck(t, "save", Note{Title: "", Tags: []string{"a", "b", "c", "d"}})
	var body gateway.ErrorBody
	if err := a.Decode(0, &body); err != nil {
		t.Fatal(err)
	}
	if body.Status != "error" || body.Code != gateway.CodeInvalidArgument {
		t.Fatalf("ack %+v", body)
	}
	raw, _ := json.Marshal(body.Details)
	var details []gateway.FieldError
	if err := json.Unmarshal(raw, &details); err != nil || len(details) != 2 ||
		details[0] != (gateway.FieldError{Field: "title", Rule: "required", Message: "title is required"}) ||
		details[1] != (gateway.FieldError{Field: "tags", Rule: "max", Param: "3", Message: "tags must be at most 3 items"}) {
		t.Fatalf("details %s", raw)
	}
	var exc gateway.ErrorBody
	if err := c.Expect(t, "exception").Args.Decode(0, &exc); err != nil {
		t.Fatal(err)
	}
	if exc.Event != "save" || exc.Code != gateway.CodeInvalidArgument {
		t.Fatalf("exception %+v", exc)
	}

	// A guard refusing one event.
	if err := c.EmitWithAck(t, "purge").Decode(0, &body); err != nil || body.Code != gateway.CodePermissionDenied {
		t.Fatalf("purge: %+v %v", body, err)
	}
}

// OnConnect finishes before the first event is handled, even when the event is on the
// wire before the hook returns.
func TestOnConnectBeforeFirstEvent(t *testing.T) {
	order, gw, lis, _ := newApp(t)
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(lis.URL(), "http")+"/socket.io/?EIO=4&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	read := func() string {
		_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, b, err := ws.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	read()
	_ = ws.WriteMessage(websocket.TextMessage, []byte(`40/notes,{"token":"t","hold":true}`))
	_ = ws.WriteMessage(websocket.TextMessage, []byte(`42/notes,0["first"]`))
	close(gw.release)
	if got := read(); !strings.HasPrefix(got, `40/notes,{"sid"`) {
		t.Fatalf("CONNECT reply %q", got)
	}
	if got := read(); got != `43/notes,0["ok"]` {
		t.Fatalf("ack %q", got)
	}
	if got := order.String(); got != "connect audit> first <audit" {
		t.Fatalf("order %q", got)
	}
}

// Shutdown lets the running handler finish and deliver its ack, then disconnects every
// socket with "server shutting down" (the reason gateways see); clients see their
// connection close ("transport close") and reconnect elsewhere, as with a Node server.
func TestGracefulShutdown(t *testing.T) {
	for _, transports := range [][]string{nil, {"polling"}, {"websocket"}} {
		name := "default"
		if transports != nil {
			name = transports[0]
		}
		t.Run(name, func(t *testing.T) { testGracefulShutdown(t, transports) })
	}
}

func testGracefulShutdown(t *testing.T, transports []string) {
	var lis *di.Listener
	var gw *NotesGateway
	pass := func() gateway.Interceptor {
		return func(ec *gateway.ExecutionContext, next func() (any, error)) (any, error) { return next() }
	}
	app := fx.New(di.Module, fx.NopLogger,
		fx.Supply(gateway.Config{Addr: "127.0.0.1:0", ShutdownTimeout: 5 * time.Second}),
		fx.Provide(func() *Order { return &Order{} }),
		di.Named("token", func() gateway.Guard { return tokenGuard }),
		di.Named("audit", pass),
		di.Named("timing", pass),
		di.Named("admin", func() gateway.Guard { return tokenGuard }),
		di.Gateway(NewNotesGateway),
		fx.Populate(&lis, &gw))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	c := gatewaytest.Dial(t, lis.URL()+"/notes", client.Options{
		Auth: map[string]string{"token": "t"}, ReconnectionAttempts: 1, Transports: transports})
	ack := make(chan error, 1)
	go func() {
		a, err := c.Socket.EmitWithAck(ctx, "slow")
		var s string
		if err == nil {
			err = a.Decode(0, &s)
		}
		if err == nil && s != "finished" {
			err = errors.New("ack " + s)
		}
		ack <- err
	}()
	<-gw.slowRuns
	stopped := make(chan error, 1)
	go func() { stopped <- app.Stop(ctx) }()
	close(gw.release)
	if err := <-ack; err != nil {
		t.Fatalf("the running handler's ack did not arrive: %v", err)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if r := <-gw.reasons; r != gateway.ReasonServerShuttingDown {
		t.Fatalf("server-side reason %q", r)
	}
	if r := c.ExpectDisconnect(t); r != client.ReasonTransportClose {
		t.Fatalf("client-side reason %q", r)
	}
}

func TestContractWithSocketIOClient(t *testing.T) {
	d := interoptest.Start(t)
	order, _, lis, _ := newApp(t)
	for _, transports := range [][]string{nil, {"websocket"}} {
		name := "default"
		if transports != nil {
			name = "websocket"
		}
		t.Run(name, func(t *testing.T) {
			refused := d.Connect(t, lis.URL(), interoptest.Options{Namespace: "/notes", Transports: transports, NoReconnection: true})
			ce := refused.WaitConnectError(5 * time.Second)
			if ce.Message != "Authentication required" || !strings.Contains(string(ce.Data), `"unauthenticated"`) {
				t.Fatalf("connect_error %+v", ce)
			}
			refused.Close()

			s := d.Connect(t, lis.URL(), interoptest.Options{Namespace: "/notes", Transports: transports, Auth: map[string]string{"token": "bob"}, NoReconnection: true})
			s.WaitConnect(5 * time.Second)
			a, err := s.EmitWithAck(5*time.Second, "save", map[string]any{"title": "js"})
			if err != nil {
				t.Fatal(err)
			}
			var saved Saved
			if err := a.Decode(0, &saved); err != nil || saved != (Saved{Title: "js", By: "bob"}) {
				t.Fatalf("ack %v (%v)", a, err)
			}
			a, err = s.EmitWithAck(5*time.Second, "save", map[string]any{"title": strings.Repeat("x", 21)})
			if err != nil {
				t.Fatal(err)
			}
			var body gateway.ErrorBody
			if err := a.Decode(0, &body); err != nil || body.Code != gateway.CodeInvalidArgument {
				t.Fatalf("invalid save ack %v", a)
			}
			var exc gateway.ErrorBody
			if err := s.WaitEvent("exception", 5*time.Second).Args.Decode(0, &exc); err != nil || exc.Event != "save" {
				t.Fatalf("exception %+v (%v)", exc, err)
			}
			a, err = s.EmitWithAck(5*time.Second, "purge")
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Decode(0, &body); err != nil || body.Code != gateway.CodePermissionDenied {
				t.Fatalf("purge ack %v", a)
			}
			s.Close()
		})
	}
	if got := order.String(); !strings.Contains(got, "connect audit> timing> save <timing <audit") {
		t.Fatalf("order %q", got)
	}
}
