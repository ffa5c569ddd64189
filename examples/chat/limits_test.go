package main

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sockgate/sockgate/client"
	"github.com/sockgate/sockgate/gateway/gatewaytest"
)

// TestMessageRateLimit: message and room-message take 100 per minute per socket, 100 at
// once; the 101st is refused with resource_exhausted, the socket stays connected, and
// others are not affected.
func TestMessageRateLimit(t *testing.T) {
	app := startApp(t, nil)
	k := goClient("go-websocket", []string{"websocket"})
	a := k.connect(t, app.URL, "/", app.authFor(t, "alice"))
	b := k.connect(t, app.URL, "/", app.authFor(t, "bob"))
	for i := 0; i < 100; i++ {
		expectStatus(t, a.Ack("message", map[string]any{"id": i, "text": "m" + strconv.Itoa(i)}), "received")
	}
	expectError(t, a.Ack("message", map[string]any{"id": 100, "text": "one too many"}), "resource_exhausted", "")
	expectError(t, a.Expect("exception"), "resource_exhausted", "message")
	b.Sync()
	expectCount(t, b, "new-message", 100)

	// room-message has its own bucket.
	expectArgs(t, a.Ack("join-room", "lobby"), roomsJSON(a.ID(), "lobby"))
	for i := 0; i < 100; i++ {
		expectStatus(t, a.Ack("room-message", map[string]any{"room": "lobby", "text": "r"}), "received")
	}
	expectError(t, a.Ack("room-message", map[string]any{"room": "lobby", "text": "x"}), "resource_exhausted", "")
	expectError(t, a.Expect("exception"), "resource_exhausted", "room-message")

	// Another socket still sends.
	expectStatus(t, b.Ack("message", map[string]any{"text": "still here"}), "received")
}

func expectStatus(tb testing.TB, args []json.RawMessage, status string) {
	tb.Helper()
	var body struct{ Status string }
	if len(args) != 1 || json.Unmarshal(args[0], &body) != nil || body.Status != status {
		tb.Fatalf("ack %s, want status %q", args, status)
	}
}

// TestTokenExpiryDisconnects: a socket whose token expires is disconnected by the server
// at most TokenLeeway (2s) later; the client sees "io server disconnect".
func TestTokenExpiryDisconnects(t *testing.T) {
	app := startApp(t, nil)
	exp := time.Now().Add(time.Second).Truncate(time.Second)
	tok := mintToken(t, jwt.SigningMethodHS256, jwt.MapClaims{"sub": "alice", "exp": exp.Unix()})
	c := gatewaytest.Dial(t, app.URL+"/", client.Options{Auth: map[string]string{"token": tok},
		Transports: []string{client.TransportWebSocket}, DisableReconnection: true})
	c.Timeout = 10 * time.Second
	if reason := c.ExpectDisconnect(t); reason != "io server disconnect" {
		t.Fatalf("disconnect reason %q, want io server disconnect", reason)
	}
	if late := time.Since(exp); late < TokenLeeway || late > TokenLeeway+2*time.Second {
		t.Fatalf("disconnected %v after the token's exp, want the %v leeway", late, TokenLeeway)
	}
}
