package di_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/fx"
	"go.uber.org/goleak"

	"github.com/sockgate/sockgate/decorators"
	"github.com/sockgate/sockgate/di"
	"github.com/sockgate/sockgate/gateway"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type greeter struct{ greeting string }

type helloGateway struct {
	decorators.Gateway `use:"shout"`

	_ decorators.Subscribe `ws:"hello"`

	g *greeter
}

func newHelloGateway(g *greeter) *helloGateway { return &helloGateway{g: g} }

func (h *helloGateway) OnHello(name string) string { return h.g.greeting + ", " + name }

func shout() gateway.Interceptor {
	return func(ec *gateway.ExecutionContext, next func() (any, error)) (any, error) {
		v, err := next()
		if s, ok := v.(string); ok {
			v = strings.ToUpper(s)
		}
		return v, err
	}
}

func TestModuleServesGateways(t *testing.T) {
	var lis *di.Listener
	app := fx.New(
		di.Module,
		fx.NopLogger,
		fx.Supply(gateway.Config{Addr: "127.0.0.1:0"}),
		fx.Supply(&greeter{greeting: "hello"}),
		di.Named("shout", shout),
		di.Gateway(newHelloGateway),
		fx.Invoke(func(m *di.Mux) {
			m.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
		}),
		fx.Populate(&lis),
	)
	if err := app.Err(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	base := lis.URL()
	if base == "" {
		t.Fatal("no listener address after start")
	}

	resp, err := http.Get(base + "/health")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if string(body) != "ok" {
		t.Fatalf("GET /health = %q", body)
	}

	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/socket.io/?EIO=4&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	read := func() string {
		t.Helper()
		_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, b, err := ws.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	read() // open
	_ = ws.WriteMessage(websocket.TextMessage, []byte("40"))
	if got := read(); !strings.HasPrefix(got, `40{"sid"`) {
		t.Fatalf("CONNECT reply %q", got)
	}
	_ = ws.WriteMessage(websocket.TextMessage, []byte(`420["hello","gopher"]`))
	if got := read(); got != `430["HELLO, GOPHER"]` {
		t.Fatalf("ack %q", got)
	}

	if err := app.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// The stop hook closed the websocket too (http.Server.Shutdown alone would not).
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
				t.Fatal("websocket still open after stop")
			}
			break
		}
	}
}

type brokenGateway struct {
	decorators.Gateway

	_ decorators.Subscribe `ws:"missing"`
}

func TestRegistrationErrorFailsTheApp(t *testing.T) {
	app := fx.New(
		di.Module,
		fx.NopLogger,
		fx.Supply(gateway.Config{Addr: "127.0.0.1:0"}),
		di.Gateway(func() *brokenGateway { return &brokenGateway{} }),
	)
	err := app.Err()
	if err == nil || !strings.Contains(err.Error(), "no method OnMissing") || !strings.Contains(err.Error(), "brokenGateway") {
		t.Fatalf("err = %v", err)
	}
}

func TestNamedRejectsNonConstructors(t *testing.T) {
	app := fx.New(di.Module, fx.NopLogger, fx.Supply(gateway.Config{}), di.Named("x", 42))
	if err := app.Err(); err == nil || !strings.Contains(err.Error(), `di.Named("x")`) {
		t.Fatalf("err = %v", err)
	}
}

func TestListenFailureFailsStart(t *testing.T) {
	app := fx.New(di.Module, fx.NopLogger, fx.Supply(gateway.Config{Addr: "127.0.0.1:-1"}))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := app.Start(ctx); err == nil || !strings.Contains(err.Error(), "listen") {
		t.Fatalf("Start = %v", err)
	}
}
