package gateway

import (
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
)

// broadcastFixture connects n websocket clients to a fresh server, each joined to "/"
// and draining its socket on a goroutine that calls onFrame per frame read. The
// returned stop closes the clients and waits for their goroutines.
func broadcastFixture(b *testing.B, n int, cfg Config, onFrame func()) (srv *Server, stop func()) {
	b.Helper()
	srv, hs := newTestServer(b, cfg)
	joined := make(chan struct{}, n)
	srv.OnConnection(func(*Socket) { joined <- struct{}{} })
	url := "ws" + strings.TrimPrefix(hs.URL, "http") + "/socket.io/?EIO=4&transport=websocket"
	var readers sync.WaitGroup
	conns := make([]*websocket.Conn, n)
	for i := range conns {
		ws, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			b.Fatal(err)
		}
		conns[i] = ws
		if _, _, err := ws.ReadMessage(); err != nil { // open packet
			b.Fatal(err)
		}
		if err := ws.WriteMessage(websocket.TextMessage, []byte("40")); err != nil {
			b.Fatal(err)
		}
		if _, _, err := ws.ReadMessage(); err != nil { // CONNECT reply
			b.Fatal(err)
		}
		<-joined
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				_, r, err := ws.NextReader()
				if err != nil {
					return
				}
				if _, err := io.Copy(io.Discard, r); err != nil {
					return
				}
				onFrame()
			}
		}()
	}
	return srv, func() {
		for _, ws := range conns {
			_ = ws.Close()
		}
		readers.Wait()
	}
}

var benchPayload = map[string]any{"id": "42", "text": "hello everyone in the room"}

// BenchmarkBroadcast1000 measures one broadcast to 1,000 sockets connected over loopback
// websockets, from Emit until every client has read the frame. The clients' reads run in
// the same process and are part of the figure.
func BenchmarkBroadcast1000(b *testing.B) {
	const n = 1000
	var wg sync.WaitGroup // one Done per client per broadcast
	srv, stop := broadcastFixture(b, n, Config{WriteQueueSize: 4096}, wg.Done)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		wg.Add(n)
		if err := srv.Emit("message", benchPayload); err != nil {
			b.Fatal(err)
		}
		wg.Wait()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/delivery")
	stop()
}

// BenchmarkBroadcastEmitOnly measures the server's share of a broadcast: encoding once
// and handing the shared frames to 1,000 sockets, without waiting for delivery. The
// clients drain their sockets in the background; the write queues are large enough that
// none is closed as a slow consumer during the run.
func BenchmarkBroadcastEmitOnly(b *testing.B) {
	srv, stop := broadcastFixture(b, 1000, Config{WriteQueueSize: 1 << 20}, func() {})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := srv.Emit("message", benchPayload); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	stop()
}
