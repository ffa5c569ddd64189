package auth_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http/httptest"
	"time"

	"github.com/sockgate/sockgate/auth"
	"github.com/sockgate/sockgate/client"
	"github.com/sockgate/sockgate/decorators"
	"github.com/sockgate/sockgate/gateway"
)

// ProfileGateway names the guard in its use: tag: every socket of "/profile" must carry a
// valid token, and its handlers read the identity back.
type ProfileGateway struct {
	decorators.Gateway `namespace:"/profile" use:"jwt"`

	_ decorators.Subscribe `ws:"whoami"`
}

// OnWhoami answers with the user id of the token the socket connected with.
func (g *ProfileGateway) OnWhoami(s *gateway.Socket) string { return auth.UserID(s) }

// The JWT guard on a gateway: a client without a token is refused, one with a token
// signed by the server's secret gets its user id back.
func ExampleJWT_Guard() {
	j, err := auth.NewJWT(auth.Config{Secret: []byte("a secret of at least 32 bytes, ok")})
	if err != nil {
		log.Fatal(err)
	}
	srv, err := gateway.NewServer(gateway.Config{},
		gateway.WithLogger(slog.New(slog.DiscardHandler)),
		gateway.WithNamed("jwt", j.Guard()))
	if err != nil {
		log.Fatal(err)
	}
	if err := srv.Register(&ProfileGateway{}); err != nil {
		log.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	_, err = client.Dial(ctx, hs.URL+"/profile", client.Options{ReconnectionAttempts: 1})
	var refused *client.ConnectError
	if errors.As(err, &refused) {
		fmt.Println("without a token:", refused.Message)
	}

	token, err := j.Sign("alice", time.Hour) // normally issued by a login endpoint
	if err != nil {
		log.Fatal(err)
	}
	c, err := client.Dial(ctx, hs.URL+"/profile", client.Options{Auth: map[string]string{"token": token}})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	args, err := c.EmitWithAck(ctx, "whoami")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("with a token:", args)
	// Output:
	// without a token: Authentication required
	// with a token: ["alice"]
}
