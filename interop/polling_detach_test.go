package interop

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sockgate/sockgate/gateway"
	"github.com/sockgate/sockgate/interop/interoptest"
)

// An idle polling GET leaves net/http: the server hijacks its connection and later
// writes the answer on it itself, closing it after. The official client takes that
// answer and polls again on a new connection, again and again, without noticing.
func TestIdlePollingGetDetached(t *testing.T) {
	d := interoptest.Start(t)
	sockets := make(chan *gateway.Socket, 1)
	srv := mustServer(t, gateway.Config{}, func(srv *gateway.Server) {
		srv.OnConnection(func(s *gateway.Socket) {
			standard(s)
			sockets <- s
		})
	})
	hijacked := make(chan struct{}, 16)
	hs := httptest.NewUnstartedServer(srv)
	hs.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateHijacked {
			hijacked <- struct{}{}
		}
	}
	hs.Start()
	t.Cleanup(func() {
		_ = srv.Close()
		hs.Close()
	})
	polling := mode{name: "polling", transports: []string{"polling"}, want: "polling"}
	c, _ := connect(t, d, hs.URL, polling, interoptest.Options{})
	s := <-sockets
	c.Echo("ask")
	for round := range 3 {
		// The waiting GET is detached after one to two seconds of silence.
		select {
		case <-hijacked:
		case <-time.After(wait):
			t.Fatalf("round %d: the idle GET was never detached", round)
		}
		if err := s.Emit("wake", round); err != nil {
			t.Fatal(err)
		}
		if r := c.WaitEvent("wake", wait); r.Args.Value(0) != float64(round) {
			t.Fatalf("round %d: wake %v", round, r.Args)
		}
		// An acknowledgement round trip right after: the client's next GET, on a new
		// connection, takes the answer.
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		args, err := s.EmitWithAck(ctx, "ask", "q", round)
		cancel()
		if err != nil {
			t.Fatalf("round %d: ack: %v", round, err)
		}
		var q string
		var n int
		if err := args.Scan(&q, &n); err != nil || q != "q" || n != round {
			t.Fatalf("round %d: ack %v", round, args)
		}
	}
	if w := whoami(t, c); w.Transport != "polling" || w.ID != s.ID() {
		t.Errorf("whoami %+v", w)
	}
	if ds := c.Events("disconnect"); len(ds) > 0 {
		t.Errorf("client disconnected: %v", ds[0].String())
	}
	if a := c.Manager().Events("reconnect_attempt"); len(a) > 0 {
		t.Errorf("client reconnected: %v", a[0].String())
	}
}
