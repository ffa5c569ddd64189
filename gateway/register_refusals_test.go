package gateway

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sockgate/sockgate/decorators"
)

type dupFirst struct {
	decorators.Gateway `namespace:"/dup"`

	_ decorators.Subscribe `ws:"message"`
}

func (g *dupFirst) OnMessage() string { return "first" }

type dupSecond struct {
	decorators.Gateway `namespace:"/dup"`

	_ decorators.Subscribe `ws:"other"`
	_ decorators.Subscribe `ws:"message" handler:"Take"`

	initCalled bool
}

func (g *dupSecond) OnOther()                     {}
func (g *dupSecond) Take() string                 { return "second" }
func (g *dupSecond) AfterInit(n *Namespace) error { g.initCalled = true; return nil }

type dupPatternA struct {
	decorators.Gateway `pattern:"^/room-\\d+$"`

	_ decorators.Subscribe `ws:"message"`
}

func (g *dupPatternA) OnMessage() string { return "a" }

type dupPatternB struct {
	decorators.Gateway `pattern:"^/room-\\d+$"`

	_ decorators.Subscribe `ws:"message"`
}

func (g *dupPatternB) OnMessage() string { return "b" }

func TestRegisterRefusesASecondHandlerForAnEvent(t *testing.T) {
	srv, hs := newTestServer(t, Config{})
	if err := srv.Register(&dupFirst{}); err != nil {
		t.Fatal(err)
	}
	second := &dupSecond{}
	err := srv.Register(second)
	if err == nil {
		t.Fatal("a second handler for event message of /dup was accepted")
	}
	for _, want := range []string{"gateway.dupSecond.Take", `event "message"`, "/dup", "gateway.dupFirst.OnMessage"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q: %v", want, err)
		}
	}
	if second.initCalled {
		t.Error("AfterInit ran for a refused gateway")
	}
	c := dialRaw(t, hs)
	c.connect("/dup")
	c.send(`42/dup,1["message"]`)
	c.expect(`43/dup,1["first"]`)
	c.send(`42/dup,2["other"]`) // nothing of the refused gateway was attached
	c.expect(`43/dup,2[{"status":"error","code":"not_found","message":"no handler for this event"}]`)
	c.expectPrefix(`42/dup,["exception",{"status":"error","code":"not_found"`)
	c.send(`42/dup,3["message"]`)
	c.expect(`43/dup,3["first"]`)

	if err := srv.Register(&dupPatternA{}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Register(&dupPatternB{}); err == nil || !strings.Contains(err.Error(), "gateway.dupPatternA.OnMessage") {
		t.Fatalf("a second handler on the same pattern: %v", err)
	}
}

type hookTypos struct {
	decorators.Gateway

	_ decorators.Subscribe `ws:"ok"`
}

func (g *hookTypos) OnOk()                               {}
func (g *hookTypos) OnConnect(s *Socket) error           { return nil }
func (g *hookTypos) OnDisconnect(s *Socket)              {}
func (g *hookTypos) AfterInit(ctx context.Context) error { return nil }

type frameworkParams struct {
	decorators.Gateway

	_ decorators.Subscribe `ws:"ec"`
	_ decorators.Subscribe `ws:"ns"`
	_ decorators.Subscribe `ws:"code"`
	_ decorators.Subscribe `ws:"args"`
	_ decorators.Subscribe `ws:"spec"`
}

func (g *frameworkParams) OnEc(ec *ExecutionContext) string { return ec.Event }
func (g *frameworkParams) OnNs(n *Namespace)                {}
func (g *frameworkParams) OnCode(c *Config)                 {}
func (g *frameworkParams) OnArgs(a *Args)                   {}
func (g *frameworkParams) OnSpec(s HandlerSpec)             {}

type badRule struct {
	Text string `json:"text" validate:"requird"`
}

type nestedBadRule struct {
	Items []*badRule `json:"items"`
}

type validateTypos struct {
	decorators.Gateway

	_ decorators.Subscribe `ws:"direct"`
	_ decorators.Subscribe `ws:"nested"`
	_ decorators.Subscribe `ws:"good"`
}

func (g *validateTypos) OnDirect(b badRule)        {}
func (g *validateTypos) OnNested(n *nestedBadRule) {}
func (g *validateTypos) OnGood(m chatMessage)      {}

func TestRegisterRefusesWhatWouldFailLater(t *testing.T) {
	tests := []struct {
		name string
		gw   any
		want []string
	}{
		{"hook-named methods with another signature", &hookTypos{}, []string{
			"gateway.hookTypos: method OnConnect(*gateway.Socket) error is named like a lifecycle hook",
			"OnConnect(context.Context, *gateway.Socket) error",
			"method OnDisconnect(*gateway.Socket)",
			"OnDisconnect(*gateway.Socket, gateway.DisconnectReason)",
			"method AfterInit(context.Context) error",
			"AfterInit(*gateway.Namespace) error",
		}},
		{"framework types as parameters", &frameworkParams{}, []string{
			"method OnEc: parameter 1 (*gateway.ExecutionContext): a gateway.ExecutionContext cannot be injected",
			"method OnNs: parameter 1 (*gateway.Namespace)",
			"method OnCode: parameter 1 (*gateway.Config)",
			"method OnArgs: parameter 1 (*payload.Args): take gateway.Args by value",
			"method OnSpec: parameter 1 (gateway.HandlerSpec)",
			"*gateway.Socket, *gateway.Event",
		}},
		{"invalid validate tags", &validateTypos{}, []string{
			"method OnDirect: parameter 1 (gateway.badRule): type gateway.badRule: invalid validate tag",
			"requird",
			"method OnNested: parameter 1 (*gateway.nestedBadRule): type gateway.badRule",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := newTestServer(t, Config{})
			err := srv.Register(tt.gw)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not mention %q:\n%v", want, err)
				}
			}
			if of(t, srv, "/").handler("ok") != nil || of(t, srv, "/").handler("good") != nil {
				t.Error("a refused gateway was attached")
			}
		})
	}
}

type failingInit struct {
	decorators.Gateway `namespace:"/init"`

	_ decorators.Subscribe `ws:"message"`
}

func (g *failingInit) OnMessage() string                        { return "x" }
func (g *failingInit) AfterInit(n *Namespace) error             { return errors.New("store unavailable") }
func (g *failingInit) OnConnect(context.Context, *Socket) error { return nil }

func TestRegisterAttachesNothingWhenAfterInitFails(t *testing.T) {
	srv, hs := newTestServer(t, Config{})
	err := srv.Register(&failingInit{})
	if err == nil || !strings.Contains(err.Error(), "gateway.failingInit.AfterInit: store unavailable") {
		t.Fatalf("err = %v", err)
	}
	c := dialRaw(t, hs)
	c.send(`40/init,`)
	c.expect(`44/init,{"message":"Invalid namespace"}`)

	// The namespace existed before: it stays, without the gateway's handlers.
	n := of(t, srv, "/init")
	if err := srv.Register(&failingInit{}); err == nil {
		t.Fatal("no error")
	}
	if n.handler("message") != nil {
		t.Fatal("the handler was attached")
	}
	if _, hooks, _ := n.handlers(); len(hooks) != 0 {
		t.Fatalf("%d connect hooks attached", len(hooks))
	}
}

type failingPatternInit struct {
	decorators.Gateway `pattern:"^/dyn-\\d+$"`

	_ decorators.Subscribe `ws:"message"`
}

func (g *failingPatternInit) OnMessage() string            { return "x" }
func (g *failingPatternInit) AfterInit(n *Namespace) error { return errors.New("not today") }

func TestRegisterAttachesNoPatternWhenAfterInitFails(t *testing.T) {
	srv, hs := newTestServer(t, Config{})
	if err := srv.Register(&failingPatternInit{}); err == nil {
		t.Fatal("no error")
	}
	c := dialRaw(t, hs)
	c.send(`40/dyn-1,`)
	c.expect(`44/dyn-1,{"message":"Invalid namespace"}`)
}

type helperGateway struct {
	decorators.Gateway `namespace:"/helper"`

	_ decorators.Subscribe `ws:"help"`
}

func (g *helperGateway) OnHelp() string { return "helped" }

type registeringGateway struct {
	decorators.Gateway `namespace:"/main"`

	_ decorators.Subscribe `ws:"message"`
}

func (g *registeringGateway) OnMessage() string { return "main" }

// AfterInit may register another gateway: Register holds no lock around it.
func (g *registeringGateway) AfterInit(n *Namespace) error {
	return n.Server().Register(&helperGateway{})
}

func TestAfterInitMayRegisterAnotherGateway(t *testing.T) {
	srv, hs := newTestServer(t, Config{})
	done := make(chan error, 1)
	go func() { done <- srv.Register(&registeringGateway{}) }()
	var err error
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Register deadlocked")
	}
	if err != nil {
		t.Fatal(err)
	}
	c := dialRaw(t, hs)
	c.connect("/helper")
	c.send(`42/helper,1["help"]`)
	c.expect(`43/helper,1["helped"]`)
}
