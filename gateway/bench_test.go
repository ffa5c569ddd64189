package gateway

import (
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
)

// BenchmarkBroadcast1000 measures one broadcast to 1,000 sockets connected over loopback
// websockets, from Emit until every client has read the frame. The clients' reads run in
// the same process and are part of the figure.
func BenchmarkBroadcast1000(b *testing.B) {
	const n = 1000
	srv, hs := newTestServer(b, Config{WriteQueueSize: 4096})
	joined := make(chan struct{}, n)
	srv.OnConnection(func(*Socket) { joined <- struct{}{} })
	url := "ws" + strings.TrimPrefix(hs.URL, "http") + "/socket.io/?EIO=4&transport=websocket"

	var wg sync.WaitGroup // one Done per client per broadcast
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
				wg.Done()
			}
		}()
	}
	payload := map[string]any{"id": "42", "text": "hello everyone in the room"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		wg.Add(n)
		if err := srv.Emit("message", payload); err != nil {
			b.Fatal(err)
		}
		wg.Wait()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/delivery")
	for _, ws := range conns {
		_ = ws.Close()
	}
	readers.Wait()
}

// BenchmarkBroadcastEmitOnly measures the server's share of a broadcast: encoding once
// and queueing the shared frames for 1,000 sockets, without waiting for delivery. The
// clients drain their sockets in the background; the write queues are large enough that
// none is closed as a slow consumer during the run.
func BenchmarkBroadcastEmitOnly(b *testing.B) {
	const n = 1000
	srv, hs := newTestServer(b, Config{WriteQueueSize: 1 << 20})
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
		_, _, _ = ws.ReadMessage()
		_ = ws.WriteMessage(websocket.TextMessage, []byte("40"))
		_, _, _ = ws.ReadMessage()
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
			}
		}()
	}
	payload := map[string]any{"id": "42", "text": "hello everyone in the room"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := srv.Emit("message", payload); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	for _, ws := range conns {
		_ = ws.Close()
	}
	readers.Wait()
}
