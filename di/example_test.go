package di_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"go.uber.org/fx"

	"github.com/sockgate/sockgate/client"
	"github.com/sockgate/sockgate/decorators"
	"github.com/sockgate/sockgate/di"
	"github.com/sockgate/sockgate/gateway"
)

// Store is an ordinary dependency, built by fx.
type Store struct{ greeting string }

// GreeterGateway gets its Store from its constructor.
type GreeterGateway struct {
	decorators.Gateway `namespace:"/"`

	_ decorators.Subscribe `ws:"greet"`

	store *Store
}

// NewGreeterGateway is an fx constructor: its parameters are injected.
func NewGreeterGateway(s *Store) *GreeterGateway { return &GreeterGateway{store: s} }

// OnGreet acknowledges with a greeting.
func (g *GreeterGateway) OnGreet(name string) string { return g.store.greeting + ", " + name }

// An fx application: the module builds the server, registers the gateway, listens on
// start and drains on stop. A program calls Run; this example starts and stops the app
// itself to talk to it in between.
func Example() {
	var lis *di.Listener
	app := fx.New(
		di.Module,
		fx.Supply(gateway.Config{Addr: "127.0.0.1:0"}), // a free port, for the example
		fx.Provide(func() *Store { return &Store{greeting: "hello"} }),
		di.Gateway(NewGreeterGateway),
		fx.Populate(&lis),
		fx.NopLogger,
	)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		log.Fatal(err) // a registration error of a gateway, or the address in use
	}
	defer func() { _ = app.Stop(ctx) }()

	c, err := client.Dial(ctx, lis.URL(), client.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	args, err := c.EmitWithAck(ctx, "greet", "gopher")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(args)
	// Output: ["hello, gopher"]
}
