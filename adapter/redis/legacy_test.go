package redis_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sockgate/sockgate/adapter/adaptertest"
	"github.com/sockgate/sockgate/internal/redistest"
)

// TestLegacyRequests sends the requests older Node adapters and the emitter send, as raw
// JSON, and checks the replies' shapes: SOCKETS (0) lists ids, the sid-based
// REMOTE_JOIN (2) joins and answers {requestId}, and an ALL_ROOMS (1) reply always has
// its array.
func TestLegacyRequests(t *testing.T) {
	srv := redistest.Start(t)
	key := freshKey()
	a, err := newClassic(t, srv.URL(), key).Adapter(&adaptertest.Namespace{NameValue: "/"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Init(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	s := adaptertest.NewSocket(a, "sid-1")
	s.Join("room1")

	rc := srv.Client()
	sub := rc.Subscribe(t.Context(), key+"-response#/#")
	t.Cleanup(func() { _ = sub.Close() })
	if _, err := sub.Receive(t.Context()); err != nil { // the subscription's confirmation
		t.Fatal(err)
	}
	ask := func(req string) map[string]json.RawMessage {
		t.Helper()
		if err := rc.Publish(t.Context(), key+"-request#/#", req).Err(); err != nil {
			t.Fatal(err)
		}
		msg, err := sub.ReceiveTimeout(t.Context(), 5*time.Second)
		if err != nil {
			t.Fatalf("no reply to %s: %v", req, err)
		}
		var out map[string]json.RawMessage
		m, ok := msg.(*goredis.Message)
		if !ok {
			t.Fatalf("unexpected %T from the subscription", msg)
		}
		payload := m.Payload
		if err := json.Unmarshal([]byte(payload), &out); err != nil {
			t.Fatalf("reply %q: %v", payload, err)
		}
		return out
	}
	r := ask(`{"uid":"old","requestId":"r0","type":0,"rooms":["room1"]}`)
	if string(r["requestId"]) != `"r0"` || string(r["sockets"]) != `["sid-1"]` {
		t.Errorf("SOCKETS reply %s", r)
	}
	r = ask(`{"uid":"old","requestId":"r1","type":0,"rooms":["nobody"]}`)
	if string(r["sockets"]) != `[]` {
		t.Errorf("SOCKETS of an empty room: %s (the array must be there)", r)
	}
	r = ask(`{"uid":"old","requestId":"r2","type":2,"sid":"sid-1","room":"legacy"}`)
	if string(r["requestId"]) != `"r2"` || len(r) != 1 {
		t.Errorf("sid-based REMOTE_JOIN reply %s", r)
	}
	if !slices.Contains(a.SocketRooms("sid-1"), "legacy") {
		t.Errorf("the sid-based join was not applied: %v", a.SocketRooms("sid-1"))
	}
	r = ask(`{"uid":"old","requestId":"r3","type":1}`)
	var rooms []string
	if json.Unmarshal(r["rooms"], &rooms) != nil || !slices.Contains(rooms, "legacy") || !slices.Contains(rooms, "sid-1") {
		t.Errorf("ALL_ROOMS reply %s", r)
	}
}
