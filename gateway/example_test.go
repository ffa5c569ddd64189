package gateway_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/sockgate/sockgate/client"
	"github.com/sockgate/sockgate/decorators"
	"github.com/sockgate/sockgate/gateway"
)

// Note is the body of a "note" event: decoded from the first argument and validated
// before the handler runs.
type Note struct {
	Title string `json:"title" validate:"required,max=40"`
}

// Saved is the acknowledgement of a note.
type Saved struct {
	Title string `json:"title"`
	Words int    `json:"words"`
}

// NotesGateway handles namespace "/notes".
type NotesGateway struct {
	decorators.Gateway `namespace:"/notes"`

	_ decorators.Subscribe `ws:"note"` // handled by OnNote
}

// OnNote saves a note; the result is the acknowledgement. Other parameters it could take,
// in any order: context.Context, *gateway.Socket, *gateway.Event, gateway.Args.
func (g *NotesGateway) OnNote(n Note) (Saved, error) {
	if n.Title == "forbidden" {
		return Saved{}, gateway.NewError(gateway.CodePermissionDenied, "not this one")
	}
	return Saved{Title: n.Title, Words: len(strings.Fields(n.Title))}, nil
}

// A gateway registered on a server mounted on an httptest.Server, and the Go client
// emitting to it: a valid note, an invalid one and a refused one.
func ExampleServer_Register() {
	srv, err := gateway.NewServer(gateway.Config{}, gateway.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		log.Fatal(err)
	}
	if err := srv.Register(&NotesGateway{}); err != nil {
		log.Fatal(err) // every problem of the declaration, each naming the field or method
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, hs.URL+"/notes", client.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	for _, title := range []string{"groceries", "", "forbidden"} {
		args, err := c.EmitWithAck(ctx, "note", Note{Title: title})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(string(args.Raw(0)))
	}
	// Output:
	// {"title":"groceries","words":1}
	// {"status":"error","code":"invalid_argument","message":"title is required","details":[{"field":"title","rule":"required","message":"title is required"}]}
	// {"status":"error","code":"permission_denied","message":"not this one"}
}

// Keyed values keep per-socket state of a package or an application apart from the
// socket's data.
func ExampleNewKey() {
	srv, err := gateway.NewServer(gateway.Config{}, gateway.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	visits := gateway.NewKey[int]("visits")
	srv.Use(func(ctx context.Context, s *gateway.Socket) error {
		visits.Set(s, 1)
		return nil
	})
	srv.OnConnection(func(s *gateway.Socket) {
		s.On("visit", func(e *gateway.Event) {
			n, _ := visits.Get(s)
			visits.Set(s, n+1)
			_ = e.Ack(n + 1)
		})
	})
	hs := httptest.NewServer(srv)
	defer hs.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, hs.URL, client.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	for range 2 {
		args, err := c.EmitWithAck(ctx, "visit")
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(args)
	}
	// Output:
	// [2]
	// [3]
}
