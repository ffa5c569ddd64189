package main

import (
	"context"
	"net/http"
	"testing"
)

// TestEngineIOSuite has one subtest per title of the official Engine.IO v4 suite, run
// against the -protocol=engine.io server. internal/engineio tests the same behaviours
// in detail; this proves the conformance server's wiring.
func TestEngineIOSuite(t *testing.T) {
	tests := []struct {
		title string
		run   func(*testing.T, *harness)
	}{
		{"message/HTTP long-polling/sends and receives a payload containing one plain text packet",
			pollingEcho("4hello")},
		{"message/HTTP long-polling/sends and receives a payload containing several plain text packets",
			pollingEcho("4test1\x1e4test2\x1e4test3")},
		{"message/HTTP long-polling/sends and receives a payload containing plain text and binary packets",
			pollingEcho("4hello\x1ebAQIDBA==")},
		{"message/HTTP long-polling/closes the session upon invalid packet format", pollingBadPacket},
		{"message/HTTP long-polling/closes the session upon duplicate poll requests", pollingDuplicateGet},
		{"message/HTTP long-polling/closes the session upon cancelled polling request", pollingCancelledGet},
		{"message/WebSocket/sends and receives a plain text packet", wsEchoText},
		{"message/WebSocket/sends and receives a binary packet", wsEchoBinary},
		{"message/WebSocket/closes the session upon invalid packet format", wsBadPacket},
	}
	for _, s := range eioShared {
		tests = append(tests, struct {
			title string
			run   func(*testing.T, *harness)
		}{s.eioTitle, s.run})
	}
	if len(tests) != 25 {
		t.Fatalf("%d titles, the official suite has 25", len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.title, func(t *testing.T) { tt.run(t, newEngineIOHarness(t)) })
	}
}

// pollingEcho POSTs payload and wants it back, all of it in one GET.
func pollingEcho(payload string) func(*testing.T, *harness) {
	return func(t *testing.T, hr *harness) {
		sid := hr.open()
		hr.expectPost(sid, payload)
		hr.expectGet(sid, payload)
	}
}

func pollingBadPacket(t *testing.T, hr *harness) {
	sid := hr.open()
	// Refusing the POST or dropping its connection are both fine.
	status, body, err := hr.do(context.Background(), http.MethodPost, pollQuery(sid), "abc")
	if err == nil && status != http.StatusBadRequest {
		t.Fatalf("POST abc: %d %q, want 400 or a dropped connection", status, body)
	}
	if r := hr.waitClose(); r != "parse error" {
		t.Errorf("close reason %q, want \"parse error\"", r)
	}
	hr.expectRefusedGet(sid)
}

func pollingDuplicateGet(t *testing.T, hr *harness) {
	sid := hr.open()
	first := hr.parkedGet(context.Background(), sid)
	status, body := hr.get(pollQuery(sid) + "&t=burst")
	if status != http.StatusBadRequest && status != http.StatusInternalServerError {
		t.Errorf("second GET: %d %q, want 400 or 500", status, body)
	}
	if r := hr.result(first); r.err != nil || r.status != http.StatusOK || r.body != "1" {
		t.Fatalf("first GET: %d %q %v, want 200 \"1\"", r.status, r.body, r.err)
	}
	if r := hr.waitClose(); r == "ping timeout" {
		t.Errorf("closed by %q, want the duplicate GET to close it", r)
	}
	hr.expectRefusedGet(sid)
}

func pollingCancelledGet(t *testing.T, hr *harness) {
	sid := hr.open()
	ctx, cancel := context.WithCancel(context.Background())
	res := hr.parkedGet(ctx, sid)
	cancel()
	if r := hr.result(res); r.err == nil {
		t.Fatalf("cancelled GET answered %d %q", r.status, r.body)
	}
	// Waiting for the close proves the abort itself ended the session: a GET sent at
	// once could also be refused as overlapping the aborted one.
	if r := hr.waitClose(); r == "ping timeout" {
		t.Errorf("closed by %q, want the abort to close it", r)
	}
	hr.expectRefusedGet(sid)
}

func wsEchoText(t *testing.T, hr *harness) {
	c, _ := hr.wsOpen()
	c.send("4hello")
	c.expect("4hello")
}

func wsEchoBinary(t *testing.T, hr *harness) {
	c, _ := hr.wsOpen()
	c.sendBinary([]byte{1, 2, 3, 4})
	c.expectBinary([]byte{1, 2, 3, 4}) // a binary frame, with no type byte
}

func wsBadPacket(t *testing.T, hr *harness) {
	c, _ := hr.wsOpen()
	c.send("abc")
	c.expectClosed(waitLimit)
	if r := hr.waitClose(); r != "parse error" {
		t.Errorf("close reason %q, want \"parse error\"", r)
	}
}
