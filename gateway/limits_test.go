package gateway

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func handshakeRefusal(t *testing.T, hs *httptest.Server) (int, string) {
	t.Helper()
	resp, err := http.Get(hs.URL + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A connection counts against MaxPendingPerAddress until its first namespace connection
// succeeds: the gateway tells the engine (Conn.Joined).
func TestPendingConnectionsPerAddress(t *testing.T) {
	_, hs := newTestServer(t, Config{MaxPendingPerAddress: 1})
	c := dialRaw(t, hs)
	status, body := handshakeRefusal(t, hs)
	var eb struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if status != http.StatusTooManyRequests || json.Unmarshal([]byte(body), &eb) != nil || !strings.Contains(eb.Message, "not yet in a namespace") {
		t.Fatalf("second pending connection: %d %s, want 429 with a JSON body", status, body)
	}
	c.connect("/")
	d := dialRaw(t, hs)
	d.connect("/")
}

// A refused namespace connection does not count as joining: ConnectTimeout still closes
// the connection.
func TestConnectTimeoutAfterRefusedConnect(t *testing.T) {
	_, hs := newTestServer(t, Config{ConnectTimeout: 100 * time.Millisecond})
	c := dialRaw(t, hs)
	c.send(`40/nowhere,`)
	c.expectPrefix(`44/nowhere,`)
	c.expectClosed()
}

func TestMaxConnectionsRefusal(t *testing.T) {
	_, hs := newTestServer(t, Config{MaxConnections: 1})
	dialRaw(t, hs).connect("/")
	if status, body := handshakeRefusal(t, hs); status != http.StatusForbidden || !strings.Contains(body, `"code":4`) {
		t.Fatalf("connection over MaxConnections: %d %s, want 403", status, body)
	}
}

func TestLimitDefaults(t *testing.T) {
	srv, _ := newTestServer(t, Config{})
	cfg := srv.Config()
	if cfg.ConnectTimeout != 10*time.Second || cfg.MaxConnections != 50_000 || cfg.HandshakeRate != 10 ||
		cfg.HandshakeBurst != 30 || cfg.MaxPendingPerAddress != 30 || cfg.MaxBufferedBytes != 64<<20 || cfg.PostReadTimeout != 10*time.Second {
		t.Fatalf("defaults %+v", cfg)
	}
	if _, err := NewServer(Config{HandshakeBurst: -1}); err == nil {
		t.Fatal("a negative HandshakeBurst was accepted")
	}
}
