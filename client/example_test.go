package client_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"time"

	"github.com/sockgate/sockgate/client"
	"github.com/sockgate/sockgate/gateway"
)

// exampleServer starts a sockgate server for the examples: on "/" and "/chat" it emits
// "welcome" with the token of the auth payload, and acknowledges "echo" with its
// arguments.
func exampleServer() (url string, stop func()) {
	gw, err := gateway.NewServer(gateway.Config{})
	if err != nil {
		log.Fatal(err)
	}
	for _, name := range []string{"/", "/chat"} {
		nsp, err := gw.Of(name)
		if err != nil {
			log.Fatal(err)
		}
		nsp.OnConnection(func(s *gateway.Socket) {
			var auth struct{ Token string }
			_ = s.DecodeAuth(&auth)
			_ = s.Emit("welcome", "hello "+auth.Token)
			s.On("echo", func(e *gateway.Event) { _ = e.Ack(e.Args) })
		})
	}
	hs := httptest.NewServer(gw)
	return hs.URL, func() {
		_ = gw.Close()
		hs.Close()
	}
}

func ExampleDial() {
	url, stop := exampleServer()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	s, err := client.Dial(ctx, url+"/chat", client.Options{
		Auth: map[string]string{"token": "secret"},
	})
	if err != nil {
		log.Fatal(err) // a *client.ConnectError when the server refused
	}
	defer s.Close()

	if err := s.Emit("echo", "fire and forget"); err != nil {
		log.Fatal(err)
	}
	fmt.Println("connected to", s.Namespace())
	// Output: connected to /chat
}

func ExampleSocket_EmitWithAck() {
	url, stop := exampleServer()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := client.Dial(ctx, url, client.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	args, err := s.EmitWithAck(ctx, "echo", "hello", []byte{1, 2, 3}) // []byte: an attachment
	if err != nil {
		log.Fatal(err) // ctx ended, or the connection dropped (client.ErrDisconnected)
	}
	var (
		text string
		data []byte
	)
	if err := args.Scan(&text, &data); err != nil {
		log.Fatal(err)
	}
	fmt.Println(text, data)
	// Output: hello [1 2 3]
}

func ExampleNew() {
	url, stop := exampleServer()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	m, err := client.New(url, client.Options{
		ReconnectionAttempts: 10,                     // then reconnect_failed; zero: forever
		ReconnectionDelay:    500 * time.Millisecond, // doubled at each attempt...
		ReconnectionDelayMax: 10 * time.Second,       // ...up to this
		AuthFunc: func(ctx context.Context) (any, error) {
			return map[string]string{"token": "fresh"}, nil // called at every (re)connection
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	m.On(client.EventReconnectAttempt, func(ev client.ManagerEvent) { log.Println("attempt", ev.Attempt) })
	m.On(client.EventReconnect, func(ev client.ManagerEvent) { log.Println("back after", ev.Attempt) })

	chat, err := m.Socket("/chat")
	if err != nil {
		log.Fatal(err)
	}
	welcome := make(chan string, 1)
	client.On(chat, "welcome", func(msg string) { welcome <- msg })
	if err := chat.Connect(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println(<-welcome)
	// Output: hello fresh
}
