package engineio

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Replies have a bound of their own: they neither count against the queue's bound nor
// close the session when theirs is reached (issue 8.10).
func TestSendReplyBoundApart(t *testing.T) {
	h := newRecorder(false)
	e := newEnv(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour, WriteQueueSize: 4}, h)
	sid := e.handshake().SID
	c := h.nextOpen(t)
	msg := func(s string) *Message { return NewTextMessage([]byte("4" + s)) }
	for i := range 4 {
		if err := c.SendReply(msg("r" + string(rune('0'+i)))); err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
	}
	if err := c.SendReply(msg("dropped")); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("reply over the bound: %v, want ErrQueueFull", err)
	}
	for i := range 4 {
		if err := c.Send(msg("m" + string(rune('0'+i)))); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	_, body := e.get(sid)
	if got := strings.Split(body, "\x1e"); len(got) != 8 || got[0] != "4r0" || got[7] != "4m3" {
		t.Fatalf("payload %q", body)
	}
	// Both bounds are free again.
	if err := c.SendReply(msg("again")); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		_ = c.Send(msg("m"))
	}
	if err := c.Send(msg("one too many")); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("message over the bound: %v", err)
	}
	if ev := h.nextClose(t); ev.reason != ReasonTransportError {
		t.Fatalf("OnClose %q", ev.reason)
	}
}
