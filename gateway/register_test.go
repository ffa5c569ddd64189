package gateway

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/sockgate/sockgate/decorators"
)

type chatMessage struct {
	ID   string `json:"id" validate:"required"`
	Text string `json:"text" validate:"required,max=10"`
}

type receipt struct {
	Status string `json:"status"`
}

type chatGateway struct {
	decorators.Gateway `namespace:"/chat"`

	_ decorators.Subscribe `ws:"message"`
	_ decorators.Subscribe `ws:"join-room" handler:"Join"`
	_ decorators.Subscribe `ws:"nothing"`
	_ decorators.Subscribe `ws:"fail"`
	_ decorators.Subscribe `ws:"respond"`
	_ decorators.Subscribe `ws:"raw"`
	_ decorators.Subscribe `ws:"leave"`
	_ decorators.Subscribe `ws:"wait"`

	mu         sync.Mutex
	inited     *Namespace
	connected  []string
	reasons    chan DisconnectReason
	ctxStarted chan struct{}
	ctxDone    chan error
}

func (g *chatGateway) AfterInit(n *Namespace) error { g.inited = n; return nil }

func (g *chatGateway) OnConnect(ctx context.Context, s *Socket) error {
	var auth struct{ Name string }
	_ = s.DecodeAuth(&auth)
	if auth.Name == "mallory" {
		return NewError(CodePermissionDenied, "no mallory")
	}
	g.mu.Lock()
	g.connected = append(g.connected, s.ID())
	g.mu.Unlock()
	return nil
}

func (g *chatGateway) OnDisconnect(s *Socket, r DisconnectReason) {
	if g.reasons != nil {
		g.reasons <- r
	}
}

func (g *chatGateway) OnMessage(s *Socket, in chatMessage) (receipt, error) {
	return receipt{Status: "received:" + in.ID}, nil
}

func (g *chatGateway) Join(ctx context.Context, s *Socket, room string) []string {
	s.Join(room)
	return []string{room}
}

func (g *chatGateway) OnNothing() {}

func (g *chatGateway) OnFail(n int) error {
	if n == 1 {
		return NewError(CodeNotFound, "nothing here")
	}
	return errors.New("secret database password in this message")
}

func (g *chatGateway) OnRespond(s string) Response { return Response{Event: "answer", Data: s} }

func (g *chatGateway) OnRaw(a Args, e *Event) int { return a.Len() }

func (g *chatGateway) OnLeave() error { return ErrDisconnectSocket }

func (g *chatGateway) OnWait(ctx context.Context) {
	close(g.ctxStarted)
	<-ctx.Done()
	g.ctxDone <- ctx.Err()
}

func TestGatewayDispatch(t *testing.T) {
	srv, hs := newTestServer(t, Config{})
	g := &chatGateway{reasons: make(chan DisconnectReason, 4), ctxStarted: make(chan struct{}), ctxDone: make(chan error, 1)}
	if err := srv.Register(g); err != nil {
		t.Fatal(err)
	}
	if g.inited == nil || g.inited.Name() != "/chat" {
		t.Fatalf("AfterInit got %v", g.inited)
	}
	c := dialRaw(t, hs)
	c.connect("/chat")

	c.send(`42/chat,0["message",{"id":"7","text":"hi"}]`)
	c.expect(`43/chat,0[{"status":"received:7"}]`)

	// Validation: error ack with details by JSON field name, then the exception event.
	c.send(`42/chat,1["message",{"id":"","text":"far too long a text"}]`)
	c.expect(`43/chat,1[{"status":"error","code":"invalid_argument","message":"invalid message: 2 fields failed validation","details":[{"field":"id","rule":"required","message":"id is required"},{"field":"text","rule":"max","param":"10","message":"text must be at most 10 characters"}]}]`)
	c.expectPrefix(`42/chat,["exception",{"status":"error","code":"invalid_argument"`)

	// A body of the wrong type: described in JSON's terms, never with a Go type name.
	c.send(`42/chat,2["message","not an object"]`)
	c.expect(`43/chat,2[{"status":"error","code":"invalid_argument","message":"argument 0: expected an object, got string"}]`)
	c.expectPrefix(`42/chat,["exception"`)
	c.send(`42/chat,2["message",{"id":7}]`)
	c.expect(`43/chat,2[{"status":"error","code":"invalid_argument","message":"argument 0: id: expected a string, got number"}]`)
	c.expectPrefix(`42/chat,["exception"`)

	c.send(`42/chat,3["join-room","r1"]`)
	c.expect(`43/chat,3[["r1"]]`)

	c.send(`42/chat,4["nothing"]`)
	c.expect(`43/chat,4[]`)
	c.send(`42/chat,["nothing"]`) // no ack asked: nothing comes back

	c.send(`42/chat,5["fail",1]`)
	c.expect(`43/chat,5[{"status":"error","code":"not_found","message":"nothing here"}]`)
	c.expect(`42/chat,["exception",{"status":"error","code":"not_found","message":"nothing here","event":"fail"}]`)
	c.send(`42/chat,["fail",2]`)
	c.expect(`42/chat,["exception",{"status":"error","code":"internal","message":"internal error","event":"fail"}]`)

	c.send(`42/chat,6["respond","yes"]`)
	c.expect(`42/chat,["answer","yes"]`)
	c.expect(`43/chat,6[]`)

	c.send(`42/chat,7["raw",1,2,3]`)
	c.expect(`43/chat,7[3]`)

	// The context of a running handler ends when the client leaves.
	c.send(`42/chat,["wait"]`)
	<-g.ctxStarted
	c.send(`41/chat,`)
	if err := <-g.ctxDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("ctx err %v", err)
	}
	if r := <-g.reasons; r != ReasonClientNamespaceDisconnect {
		t.Fatalf("reason %q", r)
	}

	// A handler returning Disconnect.
	c.connect("/chat")
	c.send(`42/chat,["leave"]`)
	c.expect(`41/chat,`)
	if r := <-g.reasons; r != ReasonServerNamespaceDisconnect {
		t.Fatalf("reason %q", r)
	}

	// OnConnect refusing.
	c.send(`40/chat,{"name":"mallory"}`)
	c.expect(`44/chat,{"message":"no mallory","data":{"code":"permission_denied"}}`)
}

type badGateway struct {
	decorators.Gateway `namespace:"/bad" use:"nope"`

	_ decorators.Subscribe `ws:"missing"`
	_ decorators.Subscribe `ws:"twice"`
	_ decorators.Subscribe `ws:"twice" handler:"OnMissing"`
	_ decorators.Subscribe `ws:"disconnect"`
	_ decorators.Subscribe `ws:"chan"`
	_ decorators.Subscribe `ws:"results"`
	_ decorators.Subscribe `ws:"x" colour:"red"`
}

func (b *badGateway) OnTwice()                      {}
func (b *badGateway) OnChan(c chan int)             {}
func (b *badGateway) OnResults() (int, string, int) { return 0, "", 0 }

func TestGatewayDiscoveryReportsEveryProblem(t *testing.T) {
	srv, _ := newTestServer(t, Config{})
	err := srv.Register(&badGateway{})
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{
		`unknown name "nope"`,
		"no method OnMissing",
		`event "twice" is already handled`,
		`disconnect`,
		"OnChan: parameter 1 (chan int)",
		"OnResults: ",
		"colour",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not mention %q:\n%s", want, msg)
		}
	}
	if !strings.Contains(msg, "gateway.badGateway") {
		t.Errorf("error does not name the type:\n%s", msg)
	}
	if n := strings.Count(msg, "\n") + 1; n < 7 {
		t.Errorf("%d problems reported, want every one:\n%s", n, msg)
	}
	if err := srv.Register(badGateway{}); err == nil {
		t.Error("a non-pointer gateway was accepted")
	}
	type plain struct{}
	if err := srv.Register(&plain{}); err == nil || !strings.Contains(err.Error(), "decorators.Gateway") {
		t.Errorf("a struct without marker: %v", err)
	}
}

type guardedGateway struct {
	decorators.Gateway `use:"auth,outer"`

	_ decorators.Subscribe `ws:"secret" use:"inner,upper"`
	_ decorators.Subscribe `ws:"admin" use:"adminOnly"`
}

func (g *guardedGateway) OnSecret(s string) string { return "secret:" + s }
func (g *guardedGateway) OnAdmin() string          { return "ok" }

func TestGuardsPipesInterceptors(t *testing.T) {
	var mu sync.Mutex
	var trace []string
	note := func(s string) { mu.Lock(); trace = append(trace, s); mu.Unlock() }
	wrap := func(name string) Interceptor {
		return func(ec *ExecutionContext, next func() (any, error)) (any, error) {
			note(name + ">")
			v, err := next()
			note("<" + name)
			return v, err
		}
	}
	srv, hs := newTestServer(t, Config{},
		WithInterceptors(wrap("global")),
		WithNamed("auth", Guard(func(ec *ExecutionContext) error {
			var a struct{ Token string }
			_ = ec.Socket.DecodeAuth(&a)
			if a.Token != "t" {
				return NewError(CodeUnauthenticated, "Authentication required")
			}
			return nil
		})),
		WithNamed("adminOnly", Guard(func(ec *ExecutionContext) error {
			return NewError(CodePermissionDenied, "admins only")
		})),
		WithNamed("outer", wrap("outer")),
		WithNamed("inner", wrap("inner")),
		WithNamed("upper", Pipe(func(ec *ExecutionContext, i int, v any) error {
			p := v.(*string)
			*p = strings.ToUpper(*p)
			return nil
		})),
	)
	if err := srv.Register(&guardedGateway{}); err != nil {
		t.Fatal(err)
	}
	c := dialRaw(t, hs)
	c.send(`40`)
	c.expect(`44{"message":"Authentication required","data":{"code":"unauthenticated"}}`)
	c.send(`40{"token":"t"}`)
	c.expectPrefix(`40{"sid"`)
	c.send(`421["secret","abc"]`)
	c.expect(`431["secret:ABC"]`)
	mu.Lock()
	if got := strings.Join(trace, " "); got != "global> outer> inner> <inner <outer <global" {
		t.Errorf("interceptor order %q", got)
	}
	mu.Unlock()
	c.send(`422["admin"]`)
	c.expect(`432[{"status":"error","code":"permission_denied","message":"admins only"}]`)
}
