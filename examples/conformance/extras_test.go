package main

import (
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestSocketIOExtras covers what socketioxide's port of the Socket.IO suite adds to
// the official one: every polling GET of an upgrade gets a noop, and acknowledgements
// requested by the server, text and binary. The server's "emit-with-ack" handler asks
// the client for an ack and reports it as "emit-with-ack-result".
func TestSocketIOExtras(t *testing.T) {
	tests := []struct {
		title string
		run   func(*testing.T, *harness)
	}{
		{"EIO upgrade/should NOOP all polling requests while upgrading", noopEveryGet},
		{"SIO acknowledgements/should emit with an ack expectation", serverAck},
		{"SIO acknowledgements/should emit with a binary ack expectation", serverBinaryAck},
		{"SIO acknowledgements/should emit with a binary ack expectation over HTTP long-polling", serverBinaryAckPolling},
		{"SIO acknowledgements/should ignore an ack with an unknown id", unknownAck},
	}
	for _, tt := range tests {
		t.Run(tt.title, func(t *testing.T) { tt.run(t, newSocketIOHarness(t)) })
	}
}

// pollConnect opens a polling session and joins "/" on it.
func pollConnect(t *testing.T, hr *harness) string {
	t.Helper()
	sid := hr.open()
	hr.pollJoin(sid)
	return sid
}

func noopEveryGet(t *testing.T, hr *harness) {
	sid := pollConnect(t, hr)
	parked := hr.parkedGet(context.Background(), sid)
	c := probe(t, hr, sid)
	// The GET parked before the probe is released, and so is every later one until
	// the client sends "5": a client may poll several times while it pauses.
	if r := hr.result(parked); r.err != nil || r.status != http.StatusOK || r.body != "6" {
		t.Fatalf("parked GET: %d %q %v, want 200 \"6\"", r.status, r.body, r.err)
	}
	for range 4 {
		expectNoop(t, hr, sid)
	}
	c.send("5")
	c.joined = true // on polling, before the upgrade
	hr.roundTrip(c)
	hr.expectRefusedGet(sid)
}

// ackRequest reads the server's EVENT with an ack id, wants its prefix (type, and
// attachments) and body around the id, and returns the id.
func ackRequest(t *testing.T, c *wsClient, prefix, body string) string {
	t.Helper()
	rest := c.expectPrefix(prefix)
	id := strings.TrimSuffix(rest, body)
	if _, err := strconv.ParseUint(id, 10, 63); err != nil || id+body != rest {
		t.Fatalf("got %s%s, want %s<ack id>%s", prefix, rest, prefix, body)
	}
	return id
}

func serverAck(t *testing.T, hr *harness) {
	c := hr.sioConnect()
	for i := range 2 {
		c.send(`42["emit-with-ack",1,"2",{"3":[true]}]`)
		id := ackRequest(t, c, "42", `["emit-with-ack",1,"2",{"3":[true]}]`)
		// Ids count from 0, and 0 is an id like any other.
		if want := strconv.Itoa(i); id != want {
			t.Errorf("ack id %s, want %s", id, want)
		}
		c.send("43" + id + `[{"ok":true},"x"]`)
		c.expect(`42["emit-with-ack-result",{"ok":true},"x"]`)
	}
}

var (
	ph0 = `{"_placeholder":true,"num":0}`
	ph1 = `{"_placeholder":true,"num":1}`
)

func serverBinaryAck(t *testing.T, hr *harness) {
	c := hr.sioConnect()
	c.send(`452-["emit-with-ack",` + ph0 + `,` + ph1 + `,"test"]`)
	c.sendBinary([]byte{1, 2, 3})
	c.sendBinary([]byte{4, 5, 6})
	// The attachments stay with their header: count before the id.
	id := ackRequest(t, c, "452-", `["emit-with-ack",`+ph0+`,`+ph1+`,"test"]`)
	c.expectBinary([]byte{1, 2, 3})
	c.expectBinary([]byte{4, 5, 6})
	c.send("461-" + id + `[{"file":` + ph0 + `},"done"]`)
	c.sendBinary([]byte{7, 8, 9})
	c.expect(`451-["emit-with-ack-result",{"file":` + ph0 + `},"done"]`)
	c.expectBinary([]byte{7, 8, 9})
}

func serverBinaryAckPolling(t *testing.T, hr *harness) {
	sid := pollConnect(t, hr)
	b64 := func(b ...byte) string { return "b" + base64.StdEncoding.EncodeToString(b) }
	hr.expectPost(sid, strings.Join([]string{`451-["emit-with-ack",` + ph0 + `]`, b64(1, 2, 3, 4)}, "\x1e"))
	got, _ := hr.pollPackets(sid, 2)
	const event = `["emit-with-ack",{"_placeholder":true,"num":0}]`
	id, ok := strings.CutPrefix(strings.TrimSuffix(got[0], event), "451-")
	if _, err := strconv.ParseUint(id, 10, 63); !ok || err != nil || "451-"+id+event != got[0] || got[1] != b64(1, 2, 3, 4) {
		t.Fatalf("got %q, want 451-<ack id>%s and its attachment", got, event)
	}
	hr.expectPost(sid, strings.Join([]string{"461-" + id + `[` + ph0 + `]`, b64(0xff, 0)}, "\x1e"))
	got, _ = hr.pollPackets(sid, 2)
	if want := []string{`451-["emit-with-ack-result",` + ph0 + `]`, b64(0xff, 0)}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func unknownAck(t *testing.T, hr *harness) {
	c := hr.sioConnect()
	c.send(`4342["late"]`)
	c.send(`42["message","still here"]`)
	c.expect(`42["message-back","still here"]`)
}
