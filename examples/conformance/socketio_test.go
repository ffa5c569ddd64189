package main

import (
	"testing"
	"time"
)

// TestSocketIOSuite has one subtest per title of the official Socket.IO v5 suite, run
// against the -protocol=socket.io server, each on a fresh server.
func TestSocketIOSuite(t *testing.T) {
	type test struct {
		title string
		run   func(*testing.T, *harness)
	}
	var tests []test
	for _, s := range eioShared {
		tests = append(tests, test{s.sioTitle, s.run})
	}
	tests = append(tests, []test{
		{"SIO connect/should allow connection to the main namespace",
			connects("40", "", `42["auth",{}]`)},
		{"SIO connect/should allow connection to the main namespace with a payload",
			connects(`40{"token":"123"}`, "", `42["auth",{"token":"123"}]`)},
		{"SIO connect/should allow connection to a custom namespace",
			connects("40/custom,", "/custom", `42/custom,["auth",{}]`)},
		{"SIO connect/should allow connection to a custom namespace with a payload",
			connects(`40/custom,{"token":"abc"}`, "/custom", `42/custom,["auth",{"token":"abc"}]`)},
		{"SIO connect/should disallow connection to an unknown namespace", unknownNamespace},
		{"SIO connect/should disallow connection with an invalid handshake", invalidHandshake},
		{"SIO connect/should close the connection if no handshake is received", noHandshake},
		{"SIO disconnect/should disconnect from the main namespace", disconnectMain},
		{"SIO disconnect/should connect then disconnect from a custom namespace", disconnectCustom},
		{"SIO message/should send a plain-text packet", echoes(
			`42["message",1,"2",{"3":[true]}]`, nil,
			`42["message-back",1,"2",{"3":[true]}]`)},
		{"SIO message/should send a packet with binary attachments", echoes(
			`452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, twoAttachments,
			`452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)},
		{"SIO message/should send a plain-text packet with an ack", echoes(
			`42456["message-with-ack",1,"2",{"3":[false]}]`, nil,
			`43456[1,"2",{"3":[false]}]`)},
		{"SIO message/should send a packet with binary attachments and an ack", echoes(
			`452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, twoAttachments,
			`462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)},
		{"SIO message/should close the connection upon invalid format (unknown packet type)",
			closesOn("4abc")},
		{"SIO message/should close the connection upon invalid format (invalid payload format)",
			closesOn("42{}")},
		{"SIO message/should close the connection upon invalid format (invalid ack id)",
			closesOn(`42abc["message-with-ack",1,"2",{"3":[false]}]`)},
	}...)
	if len(tests) != 32 {
		t.Fatalf("%d titles, the official suite has 32", len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.title, func(t *testing.T) { tt.run(t, newSocketIOHarness(t)) })
	}
}

var twoAttachments = [][]byte{{1, 2, 3}, {4, 5, 6}}

// connects sends the CONNECT packet and wants the reply for nsp ("" for "/"), then
// exactly the "auth" event, before anything else.
func connects(packet, nsp, auth string) func(*testing.T, *harness) {
	return func(t *testing.T, hr *harness) {
		c, open := hr.wsOpen()
		c.send(packet)
		if sid := c.expectConnected(nsp); sid == open.SID {
			t.Error("the socket id repeats the Engine.IO session id, a session secret")
		}
		c.expect(auth)
	}
}

func unknownNamespace(t *testing.T, hr *harness) {
	c, _ := hr.wsOpen()
	c.send("40/random") // no comma: the namespace ends the packet
	if got, want := c.expectText(), `44/random,{"message":"Invalid namespace"}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func invalidHandshake(t *testing.T, hr *harness) {
	c, _ := hr.wsOpen()
	c.send("4abc")
	// Well before the connect timeout, which would close the session anyway.
	c.expectClosed(connectTimeout * 3 / 4)
}

func noHandshake(t *testing.T, hr *harness) {
	start := time.Now()
	c, _ := hr.wsOpen()
	// The official suite never answers the pings, so the ping timeout closes its
	// session first. Answering them leaves the connect timeout as the only cause.
	c.expectClosed(connectTimeout + late)
	if d := time.Since(start); d < connectTimeout {
		t.Fatalf("closed %v after the handshake, before the connect timeout", d)
	}
}

func disconnectMain(t *testing.T, hr *harness) {
	c := hr.sioConnect()
	c.send("41")
	// Nothing but the next ping: the Engine.IO session stays open.
	if f := c.next(); f != (frame{data: "2"}) {
		t.Fatalf("got %v after 41, want the ping 2", f)
	}
	c.send("3")
	c.joined = false
	hr.roundTrip(c) // "/" can be joined again on the same session
}

func disconnectCustom(t *testing.T, hr *harness) {
	c := hr.sioConnect()
	if f := c.next(); f != (frame{data: "2"}) {
		t.Fatalf("got %v, want the ping 2", f)
	}
	c.send("3")
	c.send("40/custom")
	c.expectConnected("/custom")
	c.expect(`42/custom,["auth",{}]`)
	c.send("41/custom")
	c.send(`42["message","message to main namespace"]`)
	c.expect(`42["message-back","message to main namespace"]`)
}

// echoes sends packet and its attachments on a connected socket and wants want back,
// followed by the same attachments in order.
func echoes(packet string, atts [][]byte, want string) func(*testing.T, *harness) {
	return func(t *testing.T, hr *harness) {
		c := hr.sioConnect()
		c.send(packet)
		for _, a := range atts {
			c.sendBinary(a)
		}
		c.expect(want)
		for _, a := range atts {
			c.expectBinary(a)
		}
	}
}

// closesOn wants a connected socket's connection closed on packet, with no answer.
func closesOn(packet string) func(*testing.T, *harness) {
	return func(t *testing.T, hr *harness) {
		c := hr.sioConnect()
		c.send(packet)
		c.expectClosed(waitLimit)
	}
}
