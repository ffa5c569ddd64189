package client_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sockgate/sockgate/client"
	"github.com/sockgate/sockgate/gateway"
	"github.com/sockgate/sockgate/internal/testproc"
)

// benchServerEnv makes the test binary a sockgate server (see TestMain), so that a
// benchmark measures the client's memory without the server's in the same process.
const benchServerEnv = "SOCKGATE_CLIENT_BENCH_SERVER"

// serveBenchServer serves a sockgate server on a loopback port, prints
// "listening <addr>", and exits when stdin closes.
func serveBenchServer() {
	srv, err := gateway.NewServer(gateway.Config{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv.OnConnection(func(s *gateway.Socket) {
		s.On("echo", func(e *gateway.Event) { _ = e.Ack(e.Args) })
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go func() { _ = http.Serve(ln, srv) }()
	fmt.Println("listening", ln.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// startBenchServer runs this test binary as a server process, stopped when the benchmark
// ends.
func startBenchServer(b *testing.B) string {
	line, err := testproc.Start(b, benchServerEnv+"=1").ReadLine()
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if err != nil || !ok {
		b.Fatalf("server process: %q, %v", line, err)
	}
	return "http://" + addr
}

// BenchmarkClientMemory opens b.N client sockets to a server in another process and
// reports what each connected socket costs this process after a GC: Go heap plus
// goroutine stacks (B/socket), and goroutines per socket. Run it with a fixed count for a
// stable figure, for example -bench ClientMemory -benchtime 2000x.
func BenchmarkClientMemory(b *testing.B) {
	for _, tr := range []struct {
		name string
		list []string
	}{
		{"websocket", []string{client.TransportWebSocket}},
		{"polling", []string{client.TransportPolling}},
	} {
		b.Run(tr.name, func(b *testing.B) {
			url := startBenchServer(b)
			opts := client.Options{Transports: tr.list}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			// One connection first, so that one-time allocations (pools, type caches)
			// are not counted.
			warm, err := client.Dial(ctx, url, opts)
			if err != nil {
				b.Fatal(err)
			}
			defer warm.Close()

			before, g0 := memNow()
			socks := make([]*client.Socket, 0, b.N)
			b.ResetTimer()
			for range b.N {
				s, err := client.Dial(ctx, url, opts)
				if err != nil {
					b.Fatalf("after %d sockets: %v", len(socks), err)
				}
				socks = append(socks, s)
			}
			b.StopTimer()
			after, g1 := memNow()
			// The slice of sockets is the benchmark's own, not the client's.
			own := uint64(cap(socks)) * 8
			heap := float64(after.HeapAlloc-before.HeapAlloc-own) / float64(b.N)
			stack := float64(after.StackInuse-before.StackInuse) / float64(b.N)
			b.ReportMetric(heap+stack, "B/socket")
			b.ReportMetric(heap, "heap-B/socket")
			b.ReportMetric(stack, "stack-B/socket")
			b.ReportMetric(float64(g1-g0)/float64(b.N), "goroutines/socket")
			b.ReportMetric(0, "ns/op")
			// Check that they are alive, then close them all.
			if _, err := socks[len(socks)-1].EmitWithAck(ctx, "echo", 1); err != nil {
				b.Fatal(err)
			}
			for _, s := range socks {
				_ = s.Close()
			}
		})
	}
}

func memNow() (runtime.MemStats, int) {
	var ms runtime.MemStats
	for range 2 {
		runtime.GC()
	}
	runtime.ReadMemStats(&ms)
	return ms, runtime.NumGoroutine()
}
