package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// floodClient makes HTTP requests from the loopback address local.
func floodClient(local string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	return &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 16},
	}
}

// Issue 8.4: one address opening polling sessions as fast as it can is refused beyond its
// handshake rate and its connections not yet in a namespace, while a client from another
// address connects and chats.
func TestHandshakeFloodFromOneAddress(t *testing.T) {
	app := startAppWithLimits(t)
	const workers, maxRequests = 8, 2000
	flood := floodClient("127.0.0.2")
	defer flood.CloseIdleConnections()
	var sent, granted, refused, other atomic.Int64
	firstRefusal := make(chan struct{})
	var once sync.Once
	ctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && sent.Add(1) <= maxRequests {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, app.URL+"/socket.io/?EIO=4&transport=polling", nil)
				resp, err := flood.Do(req)
				if err != nil {
					continue // stopped
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusOK:
					granted.Add(1)
				case http.StatusTooManyRequests:
					refused.Add(1)
					once.Do(func() { close(firstRefusal) })
				default:
					other.Add(1)
				}
			}
		}()
	}
	select {
	case <-firstRefusal:
	case <-ctx.Done():
		t.Fatal("the flood was never refused")
	}
	// During the flood, from 127.0.0.1.
	k := goClient("go-polling", []string{"polling"})
	a := k.connect(t, app.URL, "/", app.authFor(t, "alice"))
	b := k.connect(t, app.URL, "/", app.authFor(t, "bob"))
	expectStatus(t, a.Ack("message", map[string]any{"id": "during-flood", "text": "still chatting"}), "received")
	if got := b.Expect("new-message"); len(got) == 0 {
		t.Fatal("bob got no message")
	}
	wg.Wait() // the flood goes on to maxRequests (or 10s)
	stop()
	t.Logf("flood from 127.0.0.2: %d handshakes granted, %d refused with 429, %d other answers", granted.Load(), refused.Load(), other.Load())
	// The flood joins no namespace: it holds at most chatPendingPerAddress sessions, each
	// closed after chatConnectTimeout, over at most 10s.
	if g := granted.Load(); g > chatPendingPerAddress*(1+int64(10*time.Second/chatConnectTimeout)) {
		t.Errorf("%d sessions granted to one address", g)
	}
	if other.Load() != 0 {
		t.Errorf("%d answers neither 200 nor 429", other.Load())
	}
}
