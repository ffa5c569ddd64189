package interop

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sockgate/sockgate/gateway"
	"github.com/sockgate/sockgate/interop/interoptest"
)

func TestEventsBothWays(t *testing.T) {
	forEachMode(t, func(t *testing.T, d *interoptest.Driver, m mode) {
		_, url := newServer(t, gateway.Config{}, func(srv *gateway.Server) {
			srv.OnConnection(func(s *gateway.Socket) {
				standard(s)
				_ = s.Emit("welcome", "hello", map[string]any{"n": 1, "list": []int{1, 2}})
				s.On("echo", func(e *gateway.Event) { _ = s.Emit("echo-back", e.Args) })
				// The same, decoded into Go values and encoded again by the server.
				s.On("echo-values", func(e *gateway.Event) {
					vals := make([]any, e.Args.Len())
					for i := range vals {
						v, err := e.Args.Value(i)
						if err != nil {
							_ = s.Emit("values-back", "error: "+err.Error())
							return
						}
						vals[i] = v
					}
					_ = s.Emit("values-back", vals...)
				})
				s.On("typed", func(e *gateway.Event) {
					var in struct {
						Name string   `json:"name"`
						Tags []string `json:"tags"`
						N    int      `json:"n"`
					}
					if err := e.Args.Decode(0, &in); err != nil {
						_ = s.Emit("typed-back", "error: "+err.Error())
						return
					}
					_ = s.Emit("typed-back", in.Name, len(in.Tags), in.N*2)
				})
			})
		})
		c, _ := connect(t, d, url, m, interoptest.Options{})

		w := c.WaitEvent("welcome", wait)
		if w.Args.Len() != 2 || w.Args.Value(0) != "hello" {
			t.Fatalf("welcome %v", w.Args)
		}
		checkJSON(t, "welcome argument 1", w.Args[1], `{"n":1,"list":[1,2]}`)

		sent := []any{
			"plain", "ünïcødé ✓ \"quoted\" <b>&amp;</b> \u2028", "", 0, -17, 3.25, 9007199254740991,
			true, false, nil, []any{}, map[string]any{},
			map[string]any{"deep": []any{map[string]any{"x": []any{1, "two", nil}}}},
		}
		want, err := jsonArgs(sent)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range []string{"echo", "echo-values"} {
			c.Emit(ev, sent...)
			back := map[string]string{"echo": "echo-back", "echo-values": "values-back"}[ev]
			got := c.WaitEvent(back, wait)
			if got.Args.Len() != len(want) {
				t.Fatalf("%s has %d arguments, want %d: %v", back, got.Args.Len(), len(want), got.Args)
			}
			for i := range want {
				checkJSON(t, fmt.Sprintf("%s argument %d", back, i), got.Args[i], string(want[i]))
			}
		}

		c.Emit("typed", map[string]any{"name": "gopher", "tags": []string{"a", "b", "c"}, "n": 21})
		tb := c.WaitEvent("typed-back", wait)
		if g := []any{tb.Args.Value(0), tb.Args.Value(1), tb.Args.Value(2)}; !reflect.DeepEqual(g, []any{"gopher", 3.0, 42.0}) {
			t.Errorf("typed-back %v", tb.Args)
		}
	})
}

// ackResult is what the server's EmitWithAck returned.
type ackResult struct {
	args gateway.Args
	err  error
}

func TestAcksBothWays(t *testing.T) {
	forEachMode(t, func(t *testing.T, d *interoptest.Driver, m mode) {
		// A namespace of its own, so that the server's first EmitWithAck has ack id 0.
		nsp := "/acks-" + m.name
		answers := make(chan ackResult, 2)
		_, url := newServer(t, gateway.Config{}, func(srv *gateway.Server) {
			of(t, srv, nsp).OnConnection(func(s *gateway.Socket) {
				standard(s)
				s.On("sum", func(e *gateway.Event) {
					var a, b float64
					if e.Args.Decode(0, &a) != nil || e.Args.Decode(1, &b) != nil {
						_ = e.Ack("bad arguments")
						return
					}
					_ = e.Ack(a+b, "sum", map[string]any{"of": []float64{a, b}})
				})
				s.On("nothing", func(e *gateway.Event) { _ = e.Ack() })
				s.On("ignored", func(*gateway.Event) {})
				s.On("ask", func(e *gateway.Event) {
					// Waiting inside a handler would hold the socket's other events back.
					go func() {
						ctx, cancel := context.WithTimeout(context.Background(), wait)
						defer cancel()
						a, err := s.EmitWithAck(ctx, "question", "why?", 42)
						answers <- ackResult{a, err}
					}()
				})
				s.On("ask-unanswered", func(e *gateway.Event) {
					go func() {
						ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
						defer cancel()
						a, err := s.EmitWithAck(ctx, "no-answer")
						answers <- ackResult{a, err}
					}()
				})
			})
		})
		c := d.Connect(t, url, m.options(interoptest.Options{Namespace: nsp, Trace: true}))
		c.WaitConnect(wait)

		// The client's first emitWithAck carries ack id 0.
		v, err := c.EmitWithAck(wait, "sum", 1.5, 2)
		if err != nil {
			t.Fatal(err)
		}
		if v.Len() != 3 || v.Value(0) != 3.5 || v.Value(1) != "sum" {
			t.Fatalf("sum acknowledged with %v", v)
		}
		checkJSON(t, "ack argument 2", v[2], `{"of":[1.5,2]}`)
		if !contains(c.Manager().Sent(), "2"+nsp+`,0["sum",1.5,2]`) {
			t.Errorf("no EVENT with ack id 0 among the client's packets %q", c.Manager().Sent())
		}
		if v, err := c.EmitWithAck(wait, "nothing"); err != nil || v.Len() != 0 {
			t.Errorf("empty acknowledgement: %v, %v", v, err)
		}
		if _, err := c.EmitWithAck(300*time.Millisecond, "ignored"); err == nil || !strings.Contains(err.Error(), "operation has timed out") {
			t.Errorf("unacknowledged emit: err = %v, want the client's timeout", err)
		}
		checkTransport(t, c, m)

		// The server's first EmitWithAck carries ack id 0 too; the client answers with
		// several values.
		c.Reply("question", "because", 7, map[string]any{"ok": true})
		c.Emit("ask")
		q := c.WaitEvent("question", wait)
		if !q.Ack || q.Args.Len() != 2 || q.Args.Value(0) != "why?" || q.Args.Value(1) != 42.0 {
			t.Fatalf("question arrived as %v", q)
		}
		if !contains(c.Manager().Received(), "2"+nsp+`,0["question","why?",42]`) {
			t.Errorf("no EVENT with ack id 0 among the server's packets %q", c.Manager().Received())
		}
		a := <-answers
		if a.err != nil {
			t.Fatalf("server EmitWithAck: %v", a.err)
		}
		if a.args.Len() != 3 || string(a.args.Raw(0)) != `"because"` || string(a.args.Raw(1)) != "7" {
			t.Fatalf("server got the answer %s %s (%d values)", a.args.Raw(0), a.args.Raw(1), a.args.Len())
		}
		checkJSON(t, "answer 2", a.args.Raw(2), `{"ok":true}`)

		// An acknowledgement the client never sends ends the server's wait in time.
		c.Emit("ask-unanswered")
		if r := c.WaitEvent("no-answer", wait); !r.Ack {
			t.Errorf("no-answer arrived without an ack id: %v", r)
		}
		if a := <-answers; !errors.Is(a.err, gateway.ErrAckTimeout) {
			t.Errorf("unanswered EmitWithAck: %v, want ErrAckTimeout", a.err)
		}
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestBinaryBothWays(t *testing.T) {
	big := make([]byte, 100_000)
	for i := range big {
		big[i] = byte(i * 7)
	}
	// What the client sends: binaries at the top level, in objects and arrays, nested.
	upload := map[string]any{
		"a":      interoptest.Bin{1, 2, 3},
		"nested": []any{interoptest.Bin{4, 5}, map[string]any{"b": interoptest.Bin{0, 255}}},
		"text":   "not binary",
		"big":    interoptest.Bin(big),
	}
	// The same value as the server decodes it, and as the client gets it back.
	uploadGo := map[string]any{
		"a":      []byte{1, 2, 3},
		"nested": []any{[]byte{4, 5}, map[string]any{"b": []byte{0, 255}}},
		"text":   "not binary",
		"big":    big,
	}
	forEachMode(t, func(t *testing.T, d *interoptest.Driver, m mode) {
		received := make(chan any, 1)
		answers := make(chan ackResult, 1)
		_, url := newServer(t, gateway.Config{}, func(srv *gateway.Server) {
			srv.OnConnection(func(s *gateway.Socket) {
				standard(s)
				s.On("upload", func(e *gateway.Event) {
					v, err := e.Args.Value(0)
					if err != nil {
						received <- err
						return
					}
					received <- []any{v, e.Args.Len()}
					var top []byte
					if err := e.Args.Decode(1, &top); err != nil {
						_ = e.Ack("decode: " + err.Error())
						return
					}
					// The acknowledgement passes the arguments on as they came.
					_ = e.Ack(e.Args)
					_ = s.Emit("download", map[string]any{
						"x":    []byte("from go"),
						"list": []any{[]byte{9}, map[string]any{"y": []byte{}}},
					}, top)
				})
				s.On("ask-binary", func(e *gateway.Event) {
					go func() {
						ctx, cancel := context.WithTimeout(context.Background(), wait)
						defer cancel()
						a, err := s.EmitWithAck(ctx, "need-binary", []byte{7, 7})
						answers <- ackResult{a, err}
					}()
				})
			})
		})
		c, _ := connect(t, d, url, m, interoptest.Options{})

		ack, err := c.EmitWithAck(wait, "upload", upload, interoptest.Bin{42})
		if err != nil {
			t.Fatal(err)
		}
		switch got := (<-received).(type) {
		case error:
			t.Fatalf("server could not decode the upload: %v", got)
		case []any:
			if !reflect.DeepEqual(got[0], uploadGo) || got[1] != 2 {
				t.Fatalf("server decoded %v (%v arguments)", shorten(got[0]), got[1])
			}
		}
		if ack.Len() != 2 || !reflect.DeepEqual(ack.Value(0), uploadGo) || !reflect.DeepEqual(ack.Value(1), []byte{42}) {
			t.Fatalf("binary acknowledgement %v", ack)
		}

		dl := c.WaitEvent("download", wait)
		want := map[string]any{"x": []byte("from go"), "list": []any{[]byte{9}, map[string]any{"y": []byte{}}}}
		if dl.Args.Len() != 2 || !reflect.DeepEqual(dl.Args.Value(0), want) || !reflect.DeepEqual(dl.Args.Value(1), []byte{42}) {
			t.Fatalf("download %v", dl.Args)
		}

		// Binary in the client's acknowledgement of a server emit, and in the emit.
		c.Reply("need-binary", map[string]any{"k": interoptest.Bin{8, 9}}, interoptest.Bin{})
		c.Emit("ask-binary")
		if r := c.WaitEvent("need-binary", wait); !reflect.DeepEqual(r.Args.Value(0), []byte{7, 7}) {
			t.Errorf("need-binary arrived as %v", r.Args)
		}
		a := <-answers
		if a.err != nil {
			t.Fatalf("server EmitWithAck: %v", a.err)
		}
		if v, err := a.args.Value(0); err != nil || !reflect.DeepEqual(v, map[string]any{"k": []byte{8, 9}}) {
			t.Errorf("binary answer %v, %v", v, err)
		}
		if v, err := a.args.Value(1); err != nil || !reflect.DeepEqual(v, []byte{}) {
			t.Errorf("empty binary answer %v, %v", v, err)
		}
	})
}

// shorten prints a value for a failure message without dumping large buffers.
func shorten(v any) string {
	s := fmt.Sprintf("%v", v)
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

func TestNamespacesShareOneConnection(t *testing.T) {
	forEachMode(t, func(t *testing.T, d *interoptest.Driver, m mode) {
		left := make(chan gateway.DisconnectReason, 1)
		srv, url := newServer(t, gateway.Config{}, func(srv *gateway.Server) {
			for _, name := range []string{"/", "/a", "/b"} {
				of(t, srv, name).OnConnection(func(s *gateway.Socket) {
					standard(s)
					_ = s.Emit("where", s.Namespace().Name())
					if s.Namespace().Name() == "/a" {
						s.OnDisconnect(func(r gateway.DisconnectReason) { left <- r })
					}
				})
			}
		})
		root, rootInfo := connect(t, d, url, m, interoptest.Options{})
		sockets := map[string]*interoptest.Socket{"/": root}
		for _, name := range []string{"/a", "/b"} {
			sockets[name] = d.Connect(t, url, interoptest.Options{Namespace: name, Manager: root.Manager()})
		}
		for name, s := range sockets {
			info := rootInfo
			if name != "/" {
				info = s.WaitConnect(wait)
			}
			if info.EngineID != rootInfo.EngineID {
				t.Errorf("%s: engine id %q, want the shared %q", name, info.EngineID, rootInfo.EngineID)
			}
			if r := s.WaitEvent("where", wait); r.Args.Value(0) != name {
				t.Errorf("socket of %s got \"where\" %v", name, r.Args)
			}
			if w := whoami(t, s); w.Namespace != name || w.Transport != m.want {
				t.Errorf("socket of %s: server sees %+v", name, w)
			}
		}
		if n := srv.Count(); n != 1 {
			t.Fatalf("%d Engine.IO connections for three namespaces, want 1", n)
		}

		// Leaving one namespace keeps the others and the connection.
		sockets["/a"].Disconnect()
		if r := <-left; r != gateway.ReasonClientNamespaceDisconnect {
			t.Errorf("server saw /a leave with %q", r)
		}
		if w := whoami(t, sockets["/b"]); w.Namespace != "/b" {
			t.Errorf("after /a left, /b answers %+v", w)
		}
		if n := srv.Count(); n != 1 {
			t.Errorf("%d Engine.IO connections after /a left, want 1", n)
		}
	})
}

func TestMiddlewareRefusal(t *testing.T) {
	forEachMode(t, func(t *testing.T, d *interoptest.Driver, m mode) {
		_, url := newServer(t, gateway.Config{}, func(srv *gateway.Server) {
			private := of(t, srv, "/private")
			private.Use(func(_ context.Context, s *gateway.Socket) error {
				var auth struct {
					Token string `json:"token"`
				}
				_ = s.DecodeAuth(&auth)
				if auth.Token != "letmein" {
					return &gateway.ConnectError{Message: "not authorized",
						Data: map[string]any{"code": "E_TOKEN", "retry": false}}
				}
				return nil
			})
			private.OnConnection(standard)
			of(t, srv, "/admin").Use(func(context.Context, *gateway.Socket) error {
				return gateway.NewError(gateway.CodePermissionDenied, "admins only")
			})
			of(t, srv, "/plain").Use(func(context.Context, *gateway.Socket) error { return errors.New("go away") })
		})
		cases := []struct {
			nsp, auth, message, data string
		}{
			{"/private", "wrong", "not authorized", `{"code":"E_TOKEN","retry":false}`},
			{"/admin", "", "admins only", `{"code":"permission_denied"}`},
			{"/plain", "", "go away", ``},
			{"/nowhere", "", "Invalid namespace", ``},
		}
		for _, tc := range cases {
			o := interoptest.Options{Namespace: tc.nsp}
			if tc.auth != "" {
				o.Auth = map[string]string{"token": tc.auth}
			}
			c := d.Connect(t, url, m.options(o))
			ce := c.WaitConnectError(wait)
			if ce.Message != tc.message {
				t.Errorf("%s: connect_error message %q, want %q", tc.nsp, ce.Message, tc.message)
			}
			if tc.data == "" {
				if len(ce.Data) != 0 && string(ce.Data) != "null" {
					t.Errorf("%s: connect_error data %s, want none", tc.nsp, ce.Data)
				}
			} else {
				checkJSON(t, tc.nsp+": connect_error data", ce.Data, tc.data)
			}
			if info := c.Info(); info.Active || info.Connected {
				t.Errorf("%s: refused socket is %+v; it must not retry by itself", tc.nsp, info)
			}
			c.Close()
		}

		// The right token gets in.
		c, _ := connect(t, d, url, m, interoptest.Options{Namespace: "/private",
			Auth: map[string]string{"token": "letmein"}})
		if w := whoami(t, c); w.Namespace != "/private" {
			t.Errorf("whoami %+v", w)
		}
	})
}

func TestServerDisconnect(t *testing.T) {
	for _, closeConn := range []bool{false, true} {
		t.Run(fmt.Sprintf("close=%v", closeConn), func(t *testing.T) {
			forEachMode(t, func(t *testing.T, d *interoptest.Driver, m mode) {
				reasons := make(chan gateway.DisconnectReason, 1)
				connections := make(chan struct{}, 4)
				_, url := newServer(t, gateway.Config{}, func(srv *gateway.Server) {
					srv.OnConnection(func(s *gateway.Socket) {
						connections <- struct{}{}
						standard(s)
						s.OnDisconnect(func(r gateway.DisconnectReason) { reasons <- r })
						s.On("kick-me", func(*gateway.Event) {
							if closeConn {
								s.CloseConnection()
							} else {
								s.Disconnect()
							}
						})
					})
				})
				c, _ := connect(t, d, url, m, interoptest.Options{
					ReconnectionDelay:    20 * time.Millisecond,
					ReconnectionDelayMax: 20 * time.Millisecond,
				})
				<-connections
				c.Emit("kick-me")
				if reason := c.WaitDisconnect(wait); reason != "io server disconnect" {
					t.Errorf("client saw disconnect reason %q, want \"io server disconnect\"", reason)
				}

				if r := <-reasons; r != gateway.ReasonServerNamespaceDisconnect {
					t.Errorf("server saw reason %q", r)
				}
				if info := c.Info(); info.Active {
					t.Errorf("client still active after a server disconnect: %+v", info)
				}
				// A reconnecting client would be back within a few delays of 20ms: watch
				// the server for a while to see that it is not.
				select {
				case <-connections:
					t.Fatal("the client reconnected after a server disconnect")
				case <-time.After(300 * time.Millisecond):
				}
				if a := c.Manager().Events("reconnect_attempt"); len(a) > 0 {
					t.Errorf("client tried to reconnect: %v", a[0].String())
				}
				if ds := c.Events("disconnect"); len(ds) != 1 {
					t.Errorf("client saw %d disconnects, want 1", len(ds))
				}
			})
		})
	}
}

func TestReconnectAfterServerRestart(t *testing.T) {
	forEachMode(t, func(t *testing.T, d *interoptest.Driver, m mode) {
		// One server generation at a time on a fixed port, as after a redeploy.
		generation := func(n int) *gateway.Server {
			return mustServer(t, gateway.Config{}, func(srv *gateway.Server) {
				srv.OnConnection(func(s *gateway.Socket) {
					standard(s)
					_ = s.Emit("hello", n)
					s.On("generation", func(e *gateway.Event) { _ = e.Ack(n) })
				})
			})
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		stop := serveOn(t, generation(1), ln)

		c, first := connect(t, d, "http://"+addr, m, interoptest.Options{
			ReconnectionDelay:    50 * time.Millisecond,
			ReconnectionDelayMax: 100 * time.Millisecond,
		})
		if r := c.WaitEvent("hello", wait); r.Args.Value(0) != 1.0 {
			t.Fatalf("hello %v", r.Args)
		}
		stop()
		reason := c.WaitDisconnect(wait)
		if reason != "transport close" && reason != "transport error" {
			t.Errorf("disconnect reason %q after the server went away", reason)
		}
		// At least one attempt fails while nothing listens.
		mgr := c.Manager()
		mgr.WaitEvent("reconnect_attempt", wait)
		mgr.WaitEvent("reconnect_error", wait)
		if !c.Info().Active {
			t.Fatal("client gave up instead of reconnecting")
		}

		ln2, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("listening again on %s: %v", addr, err)
		}
		serveOn(t, generation(2), ln2)
		mgr.WaitEvent("reconnect", wait)
		second := c.WaitConnect(wait)
		if second.ID == first.ID || second.EngineID == first.EngineID {
			t.Errorf("same ids after a restart: %+v then %+v", first, second)
		}
		if r := c.WaitEvent("hello", wait); r.Args.Value(0) != 2.0 {
			t.Fatalf("hello after the restart %v", r.Args)
		}
		checkTransport(t, c, m)
		if v, err := c.EmitWithAck(wait, "generation"); err != nil || v.Value(0) != 2.0 {
			t.Fatalf("generation after the restart: %v, %v", v, err)
		}
	})
}

func TestRoomsAndVolatileAcrossClients(t *testing.T) {
	forEachMode(t, func(t *testing.T, d *interoptest.Driver, m mode) {
		srv, url := newServer(t, gateway.Config{}, func(srv *gateway.Server) {
			srv.OnConnection(func(s *gateway.Socket) {
				standard(s)
				s.On("join", func(e *gateway.Event) {
					var room string
					_ = e.Args.Decode(0, &room)
					s.Join(room)
					_ = e.Ack()
				})
				s.On("shout", func(e *gateway.Event) {
					var room, text string
					_ = e.Args.Decode(0, &room)
					_ = e.Args.Decode(1, &text)
					_ = s.To(room).Emit("shouted", text)
					_ = e.Ack()
				})
			})
		})
		a, infoA := connect(t, d, url, m, interoptest.Options{})
		b, _ := connect(t, d, url, m, interoptest.Options{})
		marker := 0
		// barrier emits a marker to everyone and waits for it on both clients: whatever the
		// server sent them before has then arrived, since a connection keeps order.
		barrier := func() {
			t.Helper()
			marker++
			if err := srv.Emit("marker", marker); err != nil {
				t.Fatal(err)
			}
			for _, c := range []*interoptest.Socket{a, b} {
				if r := c.WaitEvent("marker", wait); r.Args.Value(0) != float64(marker) {
					t.Fatalf("marker %v, want %d", r.Args, marker)
				}
			}
		}
		got := func(c *interoptest.Socket, event string) int { return len(c.Events(event)) }

		if _, err := a.EmitWithAck(wait, "join", "r"); err != nil {
			t.Fatal(err)
		}
		if err := srv.To("r").Emit("room-news", 1); err != nil {
			t.Fatal(err)
		}
		barrier()
		if got(a, "room-news") != 1 || got(b, "room-news") != 0 {
			t.Fatalf("room-news reached a %d and b %d times, want 1 and 0", got(a, "room-news"), got(b, "room-news"))
		}

		// socket.to(room) reaches the room except the sender.
		if _, err := b.EmitWithAck(wait, "join", "r"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.EmitWithAck(wait, "shout", "r", "hey"); err != nil {
			t.Fatal(err)
		}
		barrier()
		if got(a, "shouted") != 0 || got(b, "shouted") != 1 {
			t.Fatalf("shouted reached a %d and b %d times, want 0 and 1", got(a, "shouted"), got(b, "shouted"))
		}
		if err := srv.To("r").Except(infoA.ID).Emit("not-a", 1); err != nil {
			t.Fatal(err)
		}
		barrier()
		if got(a, "not-a") != 0 || got(b, "not-a") != 1 {
			t.Fatalf("not-a reached a %d and b %d times, want 0 and 1", got(a, "not-a"), got(b, "not-a"))
		}

		// A volatile broadcast reaches idle, connected clients.
		if err := of(t, srv, "/").Volatile().To("r").Emit("vol", "x"); err != nil {
			t.Fatal(err)
		}
		barrier()
		if got(a, "vol") != 1 || got(b, "vol") != 1 {
			t.Fatalf("volatile reached a %d and b %d times, want 1 each", got(a, "vol"), got(b, "vol"))
		}

		// A burst of volatile packets faster than the client reads: what cannot be taken
		// is dropped, what arrives is in order, and the connection survives.
		const burst = 1000
		for i := range burst {
			if err := of(t, srv, "/").Volatile().To("r").Emit("burst", i); err != nil {
				t.Fatal(err)
			}
		}
		barrier()
		for _, c := range []*interoptest.Socket{a, b} {
			rs := c.Events("burst")
			last := -1.0
			for _, r := range rs {
				n, _ := r.Args.Value(0).(float64)
				if n <= last {
					t.Fatalf("%s: burst %v after %v", c.Name(), n, last)
				}
				last = n
			}
			if len(rs) == 0 || len(rs) > burst {
				t.Errorf("%s received %d of %d volatile packets", c.Name(), len(rs), burst)
			}
			// Polling takes the queue only when a GET comes, so drops are certain there.
			if m.name == "polling" && len(rs) == burst {
				t.Errorf("%s received all %d volatile packets over polling; none was dropped", c.Name(), burst)
			}
			t.Logf("%s received %d of %d volatile packets", c.Name(), len(rs), burst)
		}
	})
}

func TestLargeMessages(t *testing.T) {
	const limit = 1_000_000 // the default MaxHTTPBufferSize
	forEachMode(t, func(t *testing.T, d *interoptest.Driver, m mode) {
		left := make(chan gateway.DisconnectReason, 4)
		_, url := newServer(t, gateway.Config{MaxHTTPBufferSize: limit}, func(srv *gateway.Server) {
			srv.OnConnection(func(s *gateway.Socket) {
				standard(s)
				s.OnDisconnect(func(r gateway.DisconnectReason) { left <- r })
				s.On("big", func(e *gateway.Event) {
					var text string
					_ = e.Args.Decode(0, &text)
					_ = e.Ack(len(text))
					_ = s.Emit("big-back", text)
				})
			})
		})
		bystander, _ := connect(t, d, url, m, interoptest.Options{})
		c, _ := connect(t, d, url, m, interoptest.Options{NoReconnection: true, Trace: true})

		// Exactly at the limit: the Engine.IO message `421["big","..."]` (whoami took ack
		// id 0) is 13 bytes plus the text.
		atLimit := strings.Repeat("a", limit-13)
		v, err := c.EmitWithAck(wait, "big", atLimit)
		sent := c.Manager().Sent()
		if n := 1 + len(sent[len(sent)-1]); n != limit {
			t.Fatalf("the client sent a message of %d bytes, want %d", n, limit)
		}
		if err != nil {
			t.Fatalf("message at MaxHTTPBufferSize: %v", err)
		}
		if v.Value(0) != float64(len(atLimit)) {
			t.Fatalf("server read %v bytes, want %d", v.Value(0), len(atLimit))
		}
		if r := c.WaitEvent("big-back", wait); r.Args.Value(0) != atLimit {
			t.Fatalf("big-back came back with %d bytes", len(fmt.Sprint(r.Args.Value(0))))
		}

		// One byte over: the server drops that connection and only that one.
		if _, err := c.EmitWithAck(wait, "big", atLimit+"b"); err == nil {
			t.Fatal("message over MaxHTTPBufferSize was acknowledged")
		}
		reason := c.WaitDisconnect(wait)
		if reason != "transport close" && reason != "transport error" {
			t.Errorf("client disconnect reason %q", reason)
		}
		select {
		case r := <-left:
			if r != gateway.ReasonTransportClose && r != gateway.ReasonTransportError {
				t.Errorf("server disconnect reason %q", r)
			}
		case <-time.After(wait):
			t.Fatal("the server did not drop the socket that sent too much")
		}
		if w := whoami(t, bystander); w.Transport != m.want {
			t.Errorf("bystander after the drop: %+v", w)
		}
		if v, err := bystander.EmitWithAck(wait, "big", "small"); err != nil || v.Value(0) != 5.0 {
			t.Errorf("bystander after the drop: %v, %v", v, err)
		}
		connect(t, d, url, m, interoptest.Options{})
	})
}

// nsOf is Server.Of for names that the tests know to be valid.
func nsOf(srv *gateway.Server, name string) *gateway.Namespace {
	n, err := srv.Of(name)
	if err != nil {
		panic(err)
	}
	return n
}

// of returns namespace name of srv, failing tb when it cannot be created.
func of(tb testing.TB, srv *gateway.Server, name string) *gateway.Namespace {
	tb.Helper()
	n, err := srv.Of(name)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}
