package engineio

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// postHold is how long the handler of TestPostEndingSessionKeepsConnection holds a POST's
// answer waiting for its request context to end; it does not when the server is right.
const postHold = 200 * time.Millisecond

// A POST that ends its session once its body has been read (a refused payload, a close
// packet, the layer above closing the session from OnMessage) leaves its keep-alive
// connection serving: the next request on that connection, here a GET of another session
// that parks, is answered with its packet.
//
// The session's end used to force the POST's read deadline into the past even when the
// body had been read. net/http reads the connection in the background once a body is
// read; that read then failed and ended the context of the connection and of every later
// request on it, so the next GET to park on the connection was taken for a client that
// had left: its session closed, and it got an empty 200. Whether the background read
// failed before the handler returned was a race (net/http ignores the failure after);
// here the handler holds each POST's answer until its request context ends, or postHold
// passes, so that it always does.
func TestPostEndingSessionKeepsConnection(t *testing.T) {
	cases := []struct {
		name           string
		payload        string
		closeOnMessage bool // the layer above closes the session from OnMessage
		status         int
		reason         string
	}{
		{"text that is not UTF-8", "4hello\x1e4\xff\xfe", false, http.StatusBadRequest, ReasonParseError},
		{"a ping from the client", "2", false, http.StatusBadRequest, ReasonTransportError},
		{"a close packet", "1", false, http.StatusOK, ReasonTransportClose},
		{"closed from OnMessage", "4bye", true, http.StatusOK, ReasonForcedClose},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newRecorder(false)
			if tc.closeOnMessage {
				h.onMessage = func(c *Conn, _ []byte, _ bool) { c.Close() }
			}
			srv := NewServer(Config{PingInterval: time.Hour, PingTimeout: time.Hour}, h)
			var postCtxEnded atomic.Bool
			e := newEnvServing(t, srv, h, holdingPosts(srv, &postCtxEnded))
			// Every request takes the one connection, as long as the server keeps it.
			e.client.Transport.(*http.Transport).MaxConnsPerHost = 1
			parked := e.parkSignal()

			sid := e.handshake().SID
			h.nextOpen(t)
			status, closes := postCloses(t, e, sid, tc.payload)
			if status != tc.status {
				t.Fatalf("POST %q answered %d, want %d", tc.payload, status, tc.status)
			}
			if ev := h.nextClose(t); ev.reason != tc.reason {
				t.Fatalf("OnClose %q %v, want %q", ev.reason, ev.err, tc.reason)
			}
			if postCtxEnded.Load() {
				t.Errorf("the POST's request context ended, its client still there")
			}
			if closes {
				t.Errorf("the POST's answer closes the connection")
			}

			// Another session on the same connection.
			expectNextSessionServed(t, e, h, parked)
		})
	}
}

// A session that ends while its POST's body is being read (here: just after the last byte,
// before the read is over, as Server.Close or a missed pong may) cuts the read, and the
// answer closes the connection: the cut read deadline may have ended the context of the
// connection's later requests (TestPostEndingSessionKeepsConnection), so the next request
// takes a new connection and is served.
func TestPostCutClosesConnection(t *testing.T) {
	h := newRecorder(false)
	srv := NewServer(Config{PingInterval: time.Hour, PingTimeout: time.Hour}, h)
	srv.testHooks.postRead = func(c *Conn) {
		c.shutLocked(ReasonForcedClose, nil, closeNow, false)
	}
	// As above: the failed background read of net/http, if any, comes first.
	e := newEnvServing(t, srv, h, holdingPosts(srv, new(atomic.Bool)))
	e.client.Transport.(*http.Transport).MaxConnsPerHost = 1
	parked := e.parkSignal()

	sid := e.handshake().SID
	h.nextOpen(t)
	if status, closes := postCloses(t, e, sid, "4hello"); status != http.StatusOK || !closes {
		t.Errorf("POST answered %d, closing the connection: %v; want 200, closing", status, closes)
	}
	if ev := h.nextClose(t); ev.reason != ReasonForcedClose {
		t.Errorf("OnClose %q %v", ev.reason, ev.err)
	}
	if len(h.msgs) != 0 {
		t.Errorf("delivered %q after the session ended", (<-h.msgs).data)
	}

	expectNextSessionServed(t, e, h, parked)
}

// expectNextSessionServed opens another session and checks that its GET parks and gets
// the packet sent to it: the connection the requests take (or a new one) still serves.
func expectNextSessionServed(t *testing.T, e *env, h *recorder, parked <-chan *Conn) {
	t.Helper()
	other := e.handshake().SID
	c := h.nextOpen(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	res := e.asyncGet(ctx, other)
	waitParked(t, parked)
	if err := c.Send(NewTextMessage([]byte("4hello"))); err != nil {
		t.Errorf("Send: %v", err)
	}
	if r := waitGet(t, res); r.status != http.StatusOK || r.body != "4hello" {
		t.Errorf("parked GET answered %d %q, want 200 \"4hello\"", r.status, r.body)
	}
}

// postCloses sends a POST and returns its status, and whether the answer closes the
// connection (Connection: close, which net/http's client takes out of the header).
func postCloses(tb testing.TB, e *env, sid, payload string) (int, bool) {
	tb.Helper()
	resp, err := e.client.Post(e.sidURL(sid), "text/plain;charset=UTF-8", strings.NewReader(payload))
	if err != nil {
		tb.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		tb.Fatalf("POST: %v", err)
	}
	return resp.StatusCode, resp.Close
}

// A POST whose body is not read whole (announced over MaxPayload, stalled past
// PostReadTimeout, or cut by the end of its session) is answered with an error, and its
// connection closed, without waiting for the rest of the body: net/http would otherwise
// read the rest, up to 256 KiB, before it lets the connection go. A client still sending
// must not take its dropped packets for delivered (an empty 200, before).
func TestPostNotReadWholeClosesConnection(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cfg    Config
		status int
	}{
		{"over MaxPayload", Config{PingInterval: time.Hour, PingTimeout: time.Hour, MaxPayload: 1000, PostReadTimeout: time.Hour}, http.StatusRequestEntityTooLarge},
		{"past PostReadTimeout", Config{PingInterval: time.Hour, PingTimeout: time.Hour, PostReadTimeout: 50 * time.Millisecond}, http.StatusBadRequest},
		{"session ended meanwhile", Config{PingInterval: 50 * time.Millisecond, PingTimeout: 50 * time.Millisecond, PostReadTimeout: time.Hour}, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newRecorder(false)
			e := newEnv(t, tc.cfg, h)
			sid := e.handshake().SID
			h.nextOpen(t)
			nc := e.stalledPost(t, sid, 2000, 10)
			_ = nc.SetReadDeadline(time.Now().Add(testTimeout))
			br := bufio.NewReader(nc)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !resp.Close {
				t.Errorf("answered %d, closing the connection: %v; want %d, closing", resp.StatusCode, resp.Close, tc.status)
			}
			if _, err := io.Copy(io.Discard, br); err != nil {
				t.Errorf("the connection stayed open: %v", err)
			}
			h.nextClose(t)
		})
	}
}

// holdingPosts serves srv, then holds the answer of each POST until its request context
// ends (recorded in ctxEnded) or postHold passes, so that net/http's background read of
// the connection, if it fails, does so while the handler still runs.
func holdingPosts(srv *Server, ctxEnded *atomic.Bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv.ServeHTTP(w, r)
		if r.Method != http.MethodPost {
			return
		}
		hold := time.NewTimer(postHold)
		defer hold.Stop()
		select {
		case <-r.Context().Done():
			ctxEnded.Store(true)
		case <-hold.C:
		}
	})
}
