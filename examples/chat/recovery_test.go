package main

import (
	"testing"
	"time"

	"github.com/sockgate/sockgate/interop/interoptest"
)

func TestRecoveryEnabled(t *testing.T) {
	s, err := SettingsFromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if got := s.GatewayConfig().ConnectionStateRecovery.MaxDisconnectionDuration; got != 2*time.Minute {
		t.Fatalf("MaxDisconnectionDuration %v, want 2m", got)
	}
}

// A user whose connection drops gets the same socket back, still in its room, and the
// messages sent meanwhile, with the official client.
func TestRecoveryWithSocketIOClient(t *testing.T) {
	app := startApp(t, nil)
	d := interoptest.Start(t)
	alice := d.Connect(t, app.URL, interoptest.Options{Auth: app.authFor(t, "alice"),
		ReconnectionDelay: 50 * time.Millisecond, ReconnectionDelayMax: 100 * time.Millisecond})
	first := alice.WaitConnect(waitTimeout)
	bob := &nodePeer{t: t, d: d}
	bob.s = d.Connect(t, app.URL, interoptest.Options{Auth: app.authFor(t, "bob")})
	bob.id = bob.s.WaitConnect(waitTimeout).ID

	if v, err := alice.EmitWithAck(waitTimeout, "join-room", "lobby"); err != nil || v.Len() != 1 {
		t.Fatalf("join-room: %v %v", v, err)
	}
	bob.Ack("join-room", "lobby")
	bob.Ack("message", map[string]any{"text": "one"})
	alice.WaitEvent("new-message", waitTimeout)

	alice.DropConnection()
	alice.WaitDisconnect(waitTimeout)
	bob.Ack("message", map[string]any{"text": "two"})
	bob.Ack("room-message", map[string]any{"room": "lobby", "text": "three"})

	second := alice.WaitConnect(waitTimeout)
	if !second.Recovered || second.ID != first.ID {
		t.Fatalf("after a dropped connection: %+v, want recovered with id %s", second, first.ID)
	}
	for _, want := range []string{"two", "three"} {
		r := alice.WaitEvent("new-message", waitTimeout)
		var m ChatMessage
		if err := r.Args.Decode(0, &m); err != nil || m.Text != want || m.UserID != "bob" {
			t.Fatalf("replayed %v, want bob's %q", r.Args, want)
		}
	}
	// Still in the room: a room message from alice is accepted.
	v, err := alice.EmitWithAck(waitTimeout, "room-message", map[string]any{"room": "lobby", "text": "back"})
	if err != nil {
		t.Fatalf("room-message after recovery: %v", err)
	}
	expectStatus(t, v, "received")
}
