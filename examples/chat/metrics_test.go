package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestMetrics: GET /metrics shows the gateway's metrics of a client's session.
func TestMetrics(t *testing.T) {
	app := startApp(t, nil)
	k := goClient("go-websocket", []string{"websocket"})
	a := k.connect(t, app.URL, "/", app.authFor(t, "alice"))
	expectStatus(t, a.Ack("message", map[string]any{"text": "hello"}), "received")
	expectError(t, a.Ack("message", map[string]any{"text": ""}), "invalid_argument", "")
	// A socket's events are handled in order: once this ack is back, the messages before
	// it are counted.
	a.Ack("join-room", "lobby")

	resp, err := http.Get(app.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, body)
	}
	for _, want := range []string{
		`sockgate_sockets_connected{namespace="/"} 1`,
		`sockgate_events_received_total{event="message",namespace="/"} 2`,
		`sockgate_event_handling_seconds_count{event="message",namespace="/"} 2`,
		`sockgate_errors_total{code="invalid_argument",namespace="/"} 1`,
		`go_goroutines `,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("GET /metrics has no %q", want)
		}
	}
	if t.Failed() {
		t.Logf("GET /metrics:\n%s", body)
	}
}
