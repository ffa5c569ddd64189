package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The Engine.IO behaviours both official suites check: the Engine.IO suite on
// /engine.io/ and the first block of the Socket.IO suite on /socket.io/. Each function
// takes a fresh harness of either mode.

func pollingOpens(t *testing.T, hr *harness) {
	resp, err := hr.client.Get(hr.base + "?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want text/plain", ct)
	}
	parseOpen(t, string(body), []string{"websocket"})
}

func expectStatus(t *testing.T, hr *harness, method, query string, want int) {
	t.Helper()
	if status, body := hr.mustDo(method, query, ""); status != want {
		t.Errorf("%s ?%s: %d %q, want %d", method, query, status, body, want)
	}
}

func pollingBadEIO(t *testing.T, hr *harness) {
	for _, q := range []string{"transport=polling", "EIO=abc&transport=polling", "EIO=3&transport=polling"} {
		expectStatus(t, hr, http.MethodGet, q, http.StatusBadRequest)
	}
}

func pollingBadTransport(t *testing.T, hr *harness) {
	for _, q := range []string{"EIO=4", "EIO=4&transport=abc"} {
		expectStatus(t, hr, http.MethodGet, q, http.StatusBadRequest)
	}
}

func pollingBadMethod(t *testing.T, hr *harness) {
	for _, m := range []string{http.MethodPost, http.MethodPut} {
		expectStatus(t, hr, m, "EIO=4&transport=polling", http.StatusBadRequest)
	}
}

func wsOpens(t *testing.T, hr *harness) {
	hr.wsOpen() // the open packet is the first frame, with no upgrades
}

func wsBadEIO(t *testing.T, hr *harness) {
	hr.expectWSRefused("transport=websocket")
	hr.expectWSRefused("EIO=abc&transport=websocket")
}

func wsBadTransport(t *testing.T, hr *harness) {
	hr.expectWSRefused("EIO=4")
	hr.expectWSRefused("EIO=4&transport=abc")
}

// joinPings joins "/" in socket.io mode, so that the connect timeout cannot end the
// session during a test longer than it, and returns the pings seen meanwhile.
func joinPings(hr *harness, c *wsClient, sid string) int {
	switch {
	case c != nil && hr.join != nil:
		n := hr.join(c)
		for range n {
			c.send("3")
		}
		return n
	case c == nil && hr.pollJoin != nil:
		return hr.pollJoin(sid)
	}
	return 0
}

func pollingPingPong(t *testing.T, hr *harness) {
	start := time.Now()
	sid := hr.open()
	for n := joinPings(hr, nil, sid); n < 3; n++ {
		hr.expectGet(sid, "2")
		hr.expectPost(sid, "3")
	}
	if d := time.Since(start); d < 3*pingInterval || d > waitLimit {
		t.Fatalf("three ping/pong cycles took %v, want between %v and %v", d, 3*pingInterval, waitLimit)
	}
}

func pollingPingTimeout(t *testing.T, hr *harness) {
	sid := hr.open()
	// The server's clock started before its answer arrived.
	opened := time.Now()
	hr.expectGet(sid, "2") // and no pong
	// The session must be gone for a request that comes once the pong is overdue,
	// whether or not the server's timer has run yet.
	waitUntil(opened.Add(pingInterval + pingTimeout))
	hr.expectRefusedGet(sid)
	if hr.closes != nil {
		if r := hr.waitClose(); r != "ping timeout" {
			t.Errorf("close reason %q, want \"ping timeout\"", r)
		}
	}
}

// waitUntil returns at deadline. The tests use it only where the passing of a
// deadline is itself the behaviour under test, so that no event could signal it.
func waitUntil(deadline time.Time) {
	tm := time.NewTimer(time.Until(deadline))
	defer tm.Stop()
	<-tm.C
}

func wsPingPong(t *testing.T, hr *harness) {
	start := time.Now()
	c, _ := hr.wsOpen()
	for n := joinPings(hr, c, ""); n < 3; n++ {
		if f := c.next(); f != (frame{data: "2"}) {
			t.Fatalf("got %v, want the ping 2", f)
		}
		c.send("3")
	}
	if d := time.Since(start); d < 3*pingInterval {
		t.Fatalf("three pings in %v, want at least %v", d, 3*pingInterval)
	}
	hr.roundTrip(c) // the pongs kept the session alive
}

func wsPingTimeout(t *testing.T, hr *harness) {
	start := time.Now()
	c, _ := hr.wsOpen()
	pings := 0
	if hr.join != nil {
		pings = hr.join(c)
	}
	var err error
	for { // read until the close, never answering a ping
		var f frame
		if f, err = c.read(); err != nil {
			break
		}
		if f != (frame{data: "2"}) {
			t.Fatalf("got %v, want only a ping", f)
		}
		pings++
	}
	d := time.Since(start)
	switch {
	case isTimeout(err):
		t.Fatal("the server did not close the websocket")
	case pings != 1:
		t.Fatalf("%d pings before the close, want 1", pings)
	case d < pingInterval+pingTimeout || d > pingInterval+pingTimeout+late:
		t.Fatalf("closed %v after the handshake, want %v", d, pingInterval+pingTimeout)
	}
	if hr.closes != nil {
		if r := hr.waitClose(); r != "ping timeout" {
			t.Errorf("close reason %q, want \"ping timeout\"", r)
		}
	}
}

func pollingClose(t *testing.T, hr *harness) {
	sid := hr.open()
	res := hr.parkedGet(context.Background(), sid)
	hr.expectPost(sid, "1")
	if r := hr.result(res); r.err != nil || r.status != http.StatusOK || r.body != "6" {
		t.Fatalf("parked GET: %d %q %v, want 200 \"6\"", r.status, r.body, r.err)
	}
	hr.expectRefusedGet(sid)
	if hr.closes != nil {
		if r := hr.waitClose(); r != "transport close" {
			t.Errorf("close reason %q, want \"transport close\"", r)
		}
	}
}

func wsClose(t *testing.T, hr *harness) {
	c, _ := hr.wsOpen()
	if hr.join != nil {
		hr.join(c)
	}
	c.send("1")
	// The pongs rule out the ping timeout: the close packet itself must end it.
	c.expectClosed(2 * time.Second)
	if hr.closes != nil {
		if r := hr.waitClose(); r != "transport close" {
			t.Errorf("close reason %q, want \"transport close\"", r)
		}
	}
}

// probe opens a websocket on polling session sid and sends the probe.
func probe(t *testing.T, hr *harness, sid string) *wsClient {
	t.Helper()
	c := hr.ws("EIO=4&transport=websocket&sid=" + sid)
	c.send("2probe")
	if f := c.next(); f != (frame{data: "3probe"}) {
		t.Fatalf("got %v, want 3probe", f)
	}
	return c
}

// expectNoop wants a GET during an upgrade to be released at once with a noop. A ping
// that fell due meanwhile is answered and does not count, but a GET that waited for
// one fails: it should have been released.
func expectNoop(t *testing.T, hr *harness, sid string) {
	t.Helper()
	for range 3 {
		start := time.Now()
		status, body := hr.get(pollQuery(sid))
		if d := time.Since(start); d >= pingInterval/2 {
			t.Fatalf("GET during the upgrade waited %v and got %d %q, want a noop at once", d, status, body)
		}
		switch {
		case status == http.StatusOK && body == "2":
			hr.expectPost(sid, "3")
		case status != http.StatusOK || body != "6":
			t.Fatalf("GET during the upgrade: %d %q, want 200 \"6\"", status, body)
		default:
			return
		}
	}
	t.Fatal("GETs during the upgrade got only pings")
}

// upgrade moves polling session sid to a websocket and waits until it carries the
// session.
func upgrade(t *testing.T, hr *harness, sid string) *wsClient {
	t.Helper()
	c := probe(t, hr, sid)
	c.send("5")
	hr.roundTrip(c)
	return c
}

func upgrades(t *testing.T, hr *harness) {
	sid := hr.open()
	c := probe(t, hr, sid)
	expectNoop(t, hr, sid)
	c.send("5")
	hr.roundTrip(c)
}

func upgradeRefusesPolling(t *testing.T, hr *harness) {
	sid := hr.open()
	c := upgrade(t, hr, sid)
	hr.expectRefusedGet(sid)
	hr.roundTrip(c)
}

func upgradeRefusesSecondWS(t *testing.T, hr *harness) {
	sid := hr.open()
	c := upgrade(t, hr, sid)
	hr.expectWSRefused("EIO=4&transport=websocket&sid=" + sid)
	hr.roundTrip(c)
}

// eioShared maps the titles of the official Engine.IO suite and of the Socket.IO suite's
// Engine.IO block to the behaviours they check.
var eioShared = []struct {
	eioTitle, sioTitle string
	run                func(*testing.T, *harness)
}{
	{"handshake/HTTP long-polling/successfully opens a session",
		"EIO handshake/HTTP long-polling/should successfully open a session", pollingOpens},
	{"handshake/HTTP long-polling/fails with an invalid 'EIO' query parameter",
		"EIO handshake/HTTP long-polling/should fail with an invalid 'EIO' query parameter", pollingBadEIO},
	{"handshake/HTTP long-polling/fails with an invalid 'transport' query parameter",
		"EIO handshake/HTTP long-polling/should fail with an invalid 'transport' query parameter", pollingBadTransport},
	{"handshake/HTTP long-polling/fails with an invalid request method",
		"EIO handshake/HTTP long-polling/should fail with an invalid request method", pollingBadMethod},
	{"handshake/WebSocket/successfully opens a session",
		"EIO handshake/WebSocket/should successfully open a session", wsOpens},
	{"handshake/WebSocket/fails with an invalid 'EIO' query parameter",
		"EIO handshake/WebSocket/should fail with an invalid 'EIO' query parameter", wsBadEIO},
	{"handshake/WebSocket/fails with an invalid 'transport' query parameter",
		"EIO handshake/WebSocket/should fail with an invalid 'transport' query parameter", wsBadTransport},
	{"heartbeat/HTTP long-polling/sends ping/pong packets",
		"EIO heartbeat/HTTP long-polling/should send ping/pong packets", pollingPingPong},
	{"heartbeat/HTTP long-polling/closes the session upon ping timeout",
		"EIO heartbeat/HTTP long-polling/should close the session upon ping timeout", pollingPingTimeout},
	{"heartbeat/WebSocket/sends ping/pong packets",
		"EIO heartbeat/WebSocket/should send ping/pong packets", wsPingPong},
	{"heartbeat/WebSocket/closes the session upon ping timeout",
		"EIO heartbeat/WebSocket/should close the session upon ping timeout", wsPingTimeout},
	{"close/HTTP long-polling/forcefully closes the session",
		"EIO close/HTTP long-polling/should forcefully close the session", pollingClose},
	{"close/WebSocket/forcefully closes the session",
		"EIO close/WebSocket/should forcefully close the session", wsClose},
	{"upgrade/successfully upgrades from HTTP long-polling to WebSocket",
		"EIO upgrade/should successfully upgrade from HTTP long-polling to WebSocket", upgrades},
	{"upgrade/ignores HTTP requests with same sid after upgrade",
		"EIO upgrade/should ignore HTTP requests with same sid after upgrade", upgradeRefusesPolling},
	{"upgrade/ignores WebSocket connection with same sid after upgrade",
		"EIO upgrade/should ignore WebSocket connection with same sid after upgrade", upgradeRefusesSecondWS},
}
