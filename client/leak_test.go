package client_test

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sockgate/sockgate/client"
	"github.com/sockgate/sockgate/gateway"
	"github.com/sockgate/sockgate/gateway/gatewaytest"
)

// deadAddr returns a loopback address where nothing listens.
func deadAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// A closed client leaves no goroutine behind, also after failed reconnections, on every
// transport.
func TestNoLeakAfterFailedReconnections(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			m, err := client.New("http://"+deadAddr(t), fastReconnect(client.Options{Transports: tr.list}))
			if err != nil {
				t.Fatal(err)
			}
			log := recordManager(m)
			s, _ := m.Socket("/")
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- s.Connect(ctx) }()
			log.waitFor(t, client.EventReconnectError, 3)
			cancel()
			err = <-done
			if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "last error") {
				t.Fatalf("Connect: %v, want the context's error and the last connect error", err)
			}
			if err := m.Close(); err != nil {
				t.Fatal(err)
			}
			if err := s.Emit("late", 1); !errors.Is(err, client.ErrClosed) {
				t.Fatalf("Emit after Close: %v", err)
			}
		})
	}
}

// A client that reconnects 100 times leaks no goroutine and no file descriptor: on
// websocket after network failures, and on polling (then websocket) after server restarts.
// (A network failure between two polling requests does not end an Engine.IO session, so
// restarts are what makes every polling round a reconnection.)
func TestReconnect100TimesNoLeak(t *testing.T) {
	t.Run("websocket", func(t *testing.T) {
		srv := gatewaytest.NewServer(t, gateway.Config{})
		srv.OnConnection(func(s *gateway.Socket) { _ = s.Emit("hello", s.ID()) })
		reconnect100(t, srv.URL, []string{client.TransportWebSocket}, srv.DropConnections, srv.CloseWait)
	})
	t.Run("polling-then-websocket", func(t *testing.T) {
		var all []*gatewaytest.Server
		start := func(addr string) *gatewaytest.Server {
			srv := gatewaytest.NewUnstartedServer(t, gateway.Config{})
			srv.OnConnection(func(s *gateway.Socket) { _ = s.Emit("hello", s.ID()) })
			srv.StartAt(addr) // handlers first: the client is already knocking
			all = append(all, srv)
			return srv
		}
		srv := start("127.0.0.1:0")
		reconnect100(t, srv.URL, nil, func() {
			srv.Close()
			srv = start(srv.Addr)
		}, func() {
			for _, s := range all {
				s.CloseWait()
			}
		})
	})
}

// reconnect100 connects to url, cuts the connection 100 times, waiting for each
// reconnection, then closes the client and, with stop, the server, and checks that
// goroutines and file descriptors are back to what they were.
func reconnect100(t *testing.T, url string, transports []string, cut, stop func()) {
	ignore := goleak.IgnoreCurrent()
	fds := openFDs(t)
	m, err := client.New(url, client.Options{
		Transports:           transports,
		ReconnectionDelay:    time.Millisecond,
		ReconnectionDelayMax: time.Millisecond,
		RandomizationFactor:  -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := m.Socket("/")
	c := gatewaytest.Record(s)
	if err := s.Connect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	c.Expect(t, client.EventConnect)
	c.Expect(t, "hello")
	for i := range 100 {
		cut()
		if r := c.ExpectDisconnect(t); !isTransportLoss(r) {
			t.Fatalf("reconnection %d: disconnect %q", i, r)
		}
		c.Expect(t, client.EventConnect)
		c.Expect(t, "hello")
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	stop()
	goleak.VerifyNone(t, ignore)

	// Sockets close asynchronously on the server's side; wait (bounded) for the count.
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := openFDs(t)
		if n <= fds {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d file descriptors open after 100 reconnections and Close, %d before:\n%s", n, fds, describeFDs())
		}
		time.Sleep(10 * time.Millisecond) // no event announces a closed descriptor
	}
}

// describeFDs lists the open descriptors, with the TCP endpoints of sockets.
func describeFDs() string {
	tcp := map[string]string{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, _ := os.ReadFile(f)
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fields := strings.Fields(line)
			if len(fields) > 9 {
				tcp[fields[9]] = fields[1] + " -> " + fields[2] + " state " + fields[3]
			}
		}
	}
	ents, _ := os.ReadDir("/proc/self/fd")
	var out []string
	for _, e := range ents {
		target, _ := os.Readlink("/proc/self/fd/" + e.Name())
		if inode, ok := strings.CutPrefix(target, "socket:["); ok {
			target += " " + tcp[strings.TrimSuffix(inode, "]")]
		}
		out = append(out, e.Name()+": "+target)
	}
	return strings.Join(out, "\n")
}
