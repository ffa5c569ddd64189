package gateway_test

import (
	"fmt"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sockgate/sockgate/gateway"
	"github.com/sockgate/sockgate/internal/testproc"
	"github.com/sockgate/sockgate/metrics"
)

// idleSessions is how many websocket sessions BenchmarkIdleSocketHeap holds.
const idleSessions = 5000

// BenchmarkIdleSocketHeap reports the server's heap per idle websocket session connected
// to "/" (B/socket: the live heap after a collection, with the sessions open, less the
// live heap before), without and with the features the chat example turns on that keep
// state per socket: a rate limit on events, connection state recovery and Prometheus
// metrics. The clients run in a child process (IdleClientsEnv), so that only the server's
// memory is counted. Each iteration opens the sessions on a fresh server; run it with
// -benchtime=2x or more, and -count: single figures vary by about 150 B on a busy
// machine. bench/'s idle scenario measures the same from outside, with RSS.
func BenchmarkIdleSocketHeap(b *testing.B) {
	b.Run("plain", func(b *testing.B) {
		benchIdleHeap(b, func(b *testing.B) (gateway.Config, []gateway.Option) { return idleConfig(), nil })
	})
	b.Run("features", func(b *testing.B) {
		benchIdleHeap(b, func(b *testing.B) (gateway.Config, []gateway.Option) {
			cfg := idleConfig()
			cfg.EventRate = "100/m,burst=100"
			cfg.ConnectionStateRecovery.MaxDisconnectionDuration = 2 * time.Minute
			m, err := metrics.New(prometheus.NewRegistry(), metrics.Config{})
			if err != nil {
				b.Fatal(err)
			}
			return cfg, []gateway.Option{gateway.WithObserver(m)}
		})
	})
}

// idleConfig is the defaults without the connection limits: every session comes from one
// address, thousands a second.
func idleConfig() gateway.Config {
	return gateway.Config{MaxConnections: -1, HandshakeRate: -1, MaxPendingPerAddress: -1}
}

func benchIdleHeap(b *testing.B, setup func(*testing.B) (gateway.Config, []gateway.Option)) {
	var total float64
	for range b.N {
		total += idleHeapOnce(b, setup)
	}
	b.ReportMetric(total/float64(b.N), "B/socket")
	b.ReportMetric(0, "ns/op") // the time of opening sessions is not what is measured
}

func idleHeapOnce(b *testing.B, setup func(*testing.B) (gateway.Config, []gateway.Option)) float64 {
	cfg, opts := setup(b)
	// Served by net/http directly, as an application serves it: the sessions' sockets are
	// then plain TCP connections, which the engine watches without a goroutine each.
	srv, err := gateway.NewServer(cfg, opts...)
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer func() {
		_ = srv.Close()
		hs.Close()
	}()
	// A connection handler asks for what a gateway's OnConnect gets: the socket's context
	// and its handshake.
	srv.OnConnection(func(s *gateway.Socket) { _, _ = s.Context(), s.Handshake() })
	before := liveHeap()

	clients := testproc.Start(b, fmt.Sprintf("%s=%s %d", gateway.IdleClientsEnv, hs.Listener.Addr(), idleSessions))
	defer func() {
		// The clients close their sessions and exit.
		if err := clients.Stop(); err != nil {
			b.Errorf("client process: %v", err)
		}
	}()
	line, err := clients.ReadLine()
	if strings.TrimSpace(line) != "ready" {
		b.Fatalf("client process: %q, %v", line, err)
	}
	nsp, err := srv.Of("/")
	if err != nil {
		b.Fatal(err)
	}
	if got := len(nsp.Sockets()); got != idleSessions {
		b.Fatalf("%d sockets connected, want %d", got, idleSessions)
	}
	return float64(liveHeap()-before) / idleSessions
}

// liveHeap is the heap in use after a full collection.
func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}
