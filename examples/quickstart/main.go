// Command quickstart is the README's first gateway: a chat room in one file.
package main

import (
	"context"
	"log/slog"
	"os"

	"go.uber.org/fx"

	"github.com/sockgate/sockgate/decorators"
	"github.com/sockgate/sockgate/di"
	"github.com/sockgate/sockgate/gateway"
)

// Message is the body of a "message" event, validated before the handler runs.
type Message struct {
	Text string `json:"text" validate:"required,max=280"`
}

// Receipt is the acknowledgement of a message.
type Receipt struct {
	Status string `json:"status"`
}

// ChatGateway handles the events of namespace "/".
type ChatGateway struct {
	decorators.Gateway `namespace:"/"`

	_ decorators.Subscribe `ws:"message"` // handled by OnMessage

	log *slog.Logger
}

// NewChatGateway is an fx constructor: its dependencies are injected.
func NewChatGateway(log *slog.Logger) *ChatGateway { return &ChatGateway{log: log} }

// OnConnect greets every socket (emits wait until the connection is confirmed).
func (g *ChatGateway) OnConnect(ctx context.Context, s *gateway.Socket) error {
	return s.Emit("hello", "world")
}

// OnMessage relays a message to everyone else; the returned value is the ack.
func (g *ChatGateway) OnMessage(s *gateway.Socket, in Message) (Receipt, error) {
	g.log.Info("message", "from", s.ID(), "text", in.Text)
	if err := s.Broadcast().Emit("message", in); err != nil {
		return Receipt{}, err
	}
	return Receipt{Status: "received"}, nil
}

// App is the whole application; main runs it, tests start it on a free port.
func App(cfg gateway.Config) fx.Option {
	return fx.Options(
		di.Module,
		fx.Supply(cfg, slog.Default()),
		di.Gateway(NewChatGateway),
	)
}

// Addr is where main listens: ":3000", or ":" + $PORT.
func Addr(getenv func(string) string) string {
	if port := getenv("PORT"); port != "" {
		return ":" + port
	}
	return ":3000"
}

func main() {
	fx.New(App(gateway.Config{Addr: Addr(os.Getenv)})).Run()
}
