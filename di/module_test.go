package di_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"

	"github.com/sockgate/sockgate/client"
	"github.com/sockgate/sockgate/decorators"
	"github.com/sockgate/sockgate/di"
	"github.com/sockgate/sockgate/gateway"
	"github.com/sockgate/sockgate/gateway/gatewaytest"
)

// echoGateway reaches the server from its AfterInit hook: a gateway constructor cannot
// take *gateway.Server, which is built from the gateways.
type echoGateway struct {
	decorators.Gateway `namespace:"/echo"`

	_ decorators.Subscribe `ws:"echo"`
	_ decorators.Subscribe `ws:"fail"`

	srv *gateway.Server
}

func (g *echoGateway) AfterInit(n *gateway.Namespace) error {
	g.srv = n.Server()
	return nil
}

func (g *echoGateway) OnEcho(text string) string { return text }

func (g *echoGateway) OnFail() error { return errors.New("database down") }

// TestPipesAndFiltersFromTheGraph: pipes and exception filters are provided like guards
// and interceptors.
func TestPipesAndFiltersFromTheGraph(t *testing.T) {
	var lis *di.Listener
	gw := &echoGateway{}
	app := fx.New(
		di.Module,
		fx.NopLogger,
		fx.Supply(gateway.Config{Addr: "127.0.0.1:0"}),
		di.Gateway(func() *echoGateway { return gw }),
		di.Pipe(func() gateway.Pipe {
			return func(_ *gateway.ExecutionContext, _ int, v any) error {
				if s, ok := v.(*string); ok {
					*s = strings.ToUpper(*s)
				}
				return nil
			}
		}),
		di.ExceptionFilter(func() gateway.ExceptionFilter {
			return func(_ *gateway.ExecutionContext, err error) error {
				return gateway.NewError(gateway.CodeUnavailable, "try again later")
			}
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
	defer func() { _ = app.Stop(ctx) }()
	if gw.srv == nil {
		t.Fatal("AfterInit did not give the gateway its server")
	}

	c := gatewaytest.Dial(t, lis.URL()+"/echo", client.Options{})
	var got string
	if err := c.EmitWithAck(t, "echo", "quiet").Decode(0, &got); err != nil || got != "QUIET" {
		t.Fatalf("echo = %q, %v: the pipe did not run", got, err)
	}
	var body gateway.ErrorBody
	if err := c.EmitWithAck(t, "fail").Decode(0, &body); err != nil || body.Code != gateway.CodeUnavailable {
		t.Fatalf("fail = %+v, %v: the filter did not run", body, err)
	}
	c.Close()
}

// recordingLogger is an application's own fx logger.
type recordingLogger struct {
	mu     sync.Mutex
	events []fxevent.Event
	out    bytes.Buffer
}

func (l *recordingLogger) LogEvent(e fxevent.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
	(&fxevent.ConsoleLogger{W: &l.out}).LogEvent(e)
}

// TestModuleKeepsTheApplicationsLogger: the module logs its own events elsewhere, and a
// registration error reaches the application's logger once.
func TestModuleKeepsTheApplicationsLogger(t *testing.T) {
	type Broken struct {
		decorators.Gateway `namespace:"/broken"`

		_ decorators.Subscribe `ws:"x"`
	}
	rec := &recordingLogger{}
	app := fx.New(
		fx.WithLogger(func() fxevent.Logger { return rec }),
		di.Module,
		fx.Supply(gateway.Config{Addr: "127.0.0.1:0"}),
		di.Gateway(func() *Broken { return &Broken{} }),
	)
	if app.Err() == nil {
		t.Fatal("the app was built with a broken gateway")
	}
	// What Run does: start, which fails with the error, and which the logger prints.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := app.Start(ctx); err == nil || !strings.Contains(err.Error(), "no method OnX") {
		t.Fatalf("Start: %v", err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	sawLoggerInitialized := false
	for _, e := range rec.events {
		if _, ok := e.(*fxevent.LoggerInitialized); ok {
			sawLoggerInitialized = true
		}
	}
	if !sawLoggerInitialized {
		t.Fatal("the application's logger was not used")
	}
	if n := strings.Count(rec.out.String(), "no method OnX"); n != 1 {
		t.Fatalf("the registration error was printed %d times, want once:\n%s", n, rec.out.String())
	}
}
