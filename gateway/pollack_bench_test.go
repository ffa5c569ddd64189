package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkPollingAckRoundTrip is BenchmarkAckRoundTripGenerated over HTTP long-polling,
// as socket.io-client's polling transport runs it: a GET waits for the server's packets on
// one keep-alive connection while the event goes up in a POST on another; the round trip
// ends when the GET returns the ack. The figure includes the client's side (net/http's
// client, about half of the allocations).
func BenchmarkPollingAckRoundTrip(b *testing.B) {
	srv, hs := newTestServer(b, Config{})
	if err := srv.Register(&ackGatewayGen{}); err != nil {
		b.Fatal(err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 4}
	b.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	base := hs.URL + "/socket.io/?EIO=4&transport=polling"
	get := func(url string) []byte {
		resp, err := client.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("GET: %d %q %v", resp.StatusCode, body, err)
		}
		return body
	}
	post := func(url string, body []byte) {
		resp, err := client.Post(url, "text/plain;charset=UTF-8", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("POST: %d", resp.StatusCode)
		}
	}
	open := get(base)
	var hs0 struct {
		SID string `json:"sid"`
	}
	if len(open) < 2 || json.Unmarshal(open[1:], &hs0) != nil {
		b.Fatalf("open packet %q", open)
	}
	url := base + "&sid=" + hs0.SID
	post(url, []byte("40"))
	if reply := get(url); !bytes.HasPrefix(reply, []byte("40")) {
		b.Fatalf("CONNECT reply %q", reply)
	}
	msg := []byte(`42`)
	tail := []byte(`["echo",{"t":1764700000000000000,"p":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}]`)
	acks := make(chan []byte, 1)
	var id int64
	b.ReportAllocs()
	for b.Loop() {
		go func() { acks <- get(url) }()
		msg = append(strconv.AppendInt(msg[:2], id, 10), tail...)
		post(url, msg)
		for {
			got := <-acks
			if strings.HasPrefix(string(got), "43") {
				break
			}
			if string(got) != "2" { // a ping is answered and the wait goes on
				b.Fatalf("not an ack: %q", got)
			}
			post(url, []byte("3"))
			go func() { acks <- get(url) }()
		}
		id++
	}
}
