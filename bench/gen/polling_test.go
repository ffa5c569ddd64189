package gen

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockgate/sockgate/bench/wsclient"
)

// fakePolling is a scripted Engine.IO polling server: the handshake, then the GET answers
// of script in turn; it records every POST body.
type fakePolling struct {
	mu     sync.Mutex
	script []string
	posts  []string
}

func (f *fakePolling) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := r.URL.Query()
	switch {
	case r.Method == "POST":
		b, _ := io.ReadAll(r.Body)
		f.posts = append(f.posts, string(b))
		_, _ = io.WriteString(w, "ok")
	case q.Get("sid") == "":
		_, _ = io.WriteString(w, `0{"sid":"s1","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`)
	case len(f.script) == 0:
		http.Error(w, "script over", http.StatusBadRequest)
	default:
		_, _ = io.WriteString(w, f.script[0])
		f.script = f.script[1:]
	}
}

func TestPollSessionRead(t *testing.T) {
	f := &fakePolling{script: []string{
		"40{\"sid\":\"n1\"}\x1e42[\"m\",0]", // packets after the CONNECT reply come first
		"2\x1e6\x1e42[\"m\",1]",             // a ping, a noop, an event
		"42[\"m\",2]\x1e1",                  // an event, then close
	}}
	hs := httptest.NewServer(f)
	defer hs.Close()
	src, _ := wsclient.ParseSources("127.0.0.1")
	cl := &client{addr: strings.TrimPrefix(hs.URL, "http://"), path: "/socket.io/", dialer: &wsclient.Dialer{Sources: src}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := cl.openPoll(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Abort()
	var got []string
	err = s.read(ctx, func(p []byte) bool {
		got = append(got, string(p))
		return true
	})
	if !errors.Is(err, errPollClosed) {
		t.Fatalf("read ended with %v, want the close packet", err)
	}
	if want := []string{`42["m",0]`, `42["m",1]`, `42["m",2]`}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("packets %q, want %q", got, want)
	}
	f.mu.Lock()
	posts := strings.Join(f.posts, " ")
	f.mu.Unlock()
	if posts != "40 3" {
		t.Fatalf("posts %q, want the CONNECT then the pong", posts)
	}
	_ = s.Abort()
	if err := s.send(ctx, []byte("3")); !errors.Is(err, errPollClosed) {
		t.Fatalf("send after Abort: %v", err)
	}
}
