package gateway

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// rawClient speaks Socket.IO frames by hand over a websocket, so that tests see exactly
// what the server writes.
type rawClient struct {
	tb   testing.TB
	ws   *websocket.Conn
	open map[string]any
}

type frame struct {
	text   string
	binary []byte
}

func newTestServer(tb testing.TB, cfg Config, opts ...Option) (*Server, *httptest.Server) {
	tb.Helper()
	opts = append([]Option{WithLogger(slog.New(slog.NewTextHandler(testLogOut, nil)))}, opts...)
	srv, err := NewServer(cfg, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	tb.Cleanup(func() {
		_ = srv.Close()
		hs.Close()
	})
	return srv, hs
}

func dialRaw(tb testing.TB, hs *httptest.Server) *rawClient {
	tb.Helper()
	url := "ws" + strings.TrimPrefix(hs.URL, "http") + "/socket.io/?EIO=4&transport=websocket"
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	c := &rawClient{tb: tb, ws: ws}
	tb.Cleanup(func() { _ = ws.Close() })
	f := c.next()
	if !strings.HasPrefix(f.text, "0") {
		tb.Fatalf("first frame %q, want the open packet", f.text)
	}
	if err := json.Unmarshal([]byte(f.text[1:]), &c.open); err != nil {
		tb.Fatalf("open packet: %v", err)
	}
	return c
}

func (c *rawClient) send(text string) {
	c.tb.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(text)); err != nil {
		c.tb.Fatalf("write %q: %v", text, err)
	}
}

func (c *rawClient) sendBinary(b []byte) {
	c.tb.Helper()
	if err := c.ws.WriteMessage(websocket.BinaryMessage, b); err != nil {
		c.tb.Fatalf("write binary: %v", err)
	}
}

// next returns the next frame that is not a ping (pings are answered).
func (c *rawClient) next() frame {
	c.tb.Helper()
	for {
		_ = c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		typ, b, err := c.ws.ReadMessage()
		if err != nil {
			c.tb.Fatalf("read: %v", err)
		}
		if typ == websocket.BinaryMessage {
			return frame{binary: b}
		}
		if string(b) == "2" {
			c.send("3")
			continue
		}
		return frame{text: string(b)}
	}
}

func (c *rawClient) expect(want string) {
	c.tb.Helper()
	if got := c.next(); got.text != want {
		c.tb.Fatalf("got frame %q (binary %v), want %q", got.text, got.binary, want)
	}
}

// expectPrefix returns the frame after checking its prefix.
func (c *rawClient) expectPrefix(prefix string) string {
	c.tb.Helper()
	got := c.next()
	if !strings.HasPrefix(got.text, prefix) {
		c.tb.Fatalf("got frame %q (binary %v), want prefix %q", got.text, got.binary, prefix)
	}
	return got.text
}

// connect joins namespace nsp and returns the socket id.
func (c *rawClient) connect(nsp string) string {
	c.tb.Helper()
	prefix := "40"
	if nsp != "/" {
		prefix = "40" + nsp + ","
	}
	c.send(prefix)
	got := c.expectPrefix(prefix)
	var body struct{ SID string }
	if err := json.Unmarshal([]byte(got[len(prefix):]), &body); err != nil || body.SID == "" {
		c.tb.Fatalf("CONNECT reply %q", got)
	}
	return body.SID
}

// expectClosed waits for the server to close the websocket.
func (c *rawClient) expectClosed() {
	c.tb.Helper()
	for {
		_ = c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, b, err := c.ws.ReadMessage()
		if err != nil {
			if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
				c.tb.Fatal("the server did not close the connection")
			}
			return
		}
		if string(b) == "2" {
			continue
		}
	}
}

// testLogOut receives the server logs of tests; set SOCKGATE_TEST_LOG=1 to see them.
var testLogOut io.Writer = io.Discard

func init() {
	if os.Getenv("SOCKGATE_TEST_LOG") != "" {
		testLogOut = os.Stderr
	}
}

// of returns namespace name of srv, failing tb when it cannot be created.
func of(tb testing.TB, srv *Server, name string) *Namespace {
	tb.Helper()
	n, err := srv.Of(name)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}
