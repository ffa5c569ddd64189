package gateway_test

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sockgate/sockgate/decorators"
	"github.com/sockgate/sockgate/gateway"
	"github.com/sockgate/sockgate/gateway/gatewaytest"
	"github.com/sockgate/sockgate/metrics"
)

type observedGateway struct {
	decorators.Gateway

	_ decorators.Subscribe `ws:"message"`
}

type observedMessage struct {
	ID   string `json:"id" validate:"required"`
	Text string `json:"text" validate:"required,max=100"`
}

type observedReceipt struct {
	Status string `json:"status"`
}

func (g *observedGateway) OnMessage(s *gateway.Socket, in observedMessage) (observedReceipt, error) {
	return observedReceipt{Status: "received"}, nil
}

// BenchmarkDispatchObserved runs one event through a socket's dispatcher to a gateway
// method (split, handler lookup, decoding, validation, the reflective call, the
// acknowledgement encoded), without metrics ("off") and with package metrics as the
// server's observer ("on").
func BenchmarkDispatchObserved(b *testing.B) {
	data := json.RawMessage(`["message",{"id":"1","text":"hello"}]`)
	for _, on := range []bool{false, true} {
		name := "off"
		if on {
			name = "on"
		}
		b.Run(name, func(b *testing.B) {
			dispatch := observedDispatcher(b, on)
			b.ReportAllocs()
			for b.Loop() {
				dispatch(data)
			}
		})
	}
}

// BenchmarkDispatchObservedPaired alternates batches of events without and with metrics
// in one run, so that both see the same load on a shared machine, and reports each side's
// fastest batch (ns/op-off, ns/op-on) and the cost of metrics as a share of the dispatch
// (on/off-1, from the median of the batch-by-batch ratios).
func BenchmarkDispatchObservedPaired(b *testing.B) {
	data := json.RawMessage(`["message",{"id":"1","text":"hello"}]`)
	off, on := observedDispatcher(b, false), observedDispatcher(b, true)
	const batch = 2000
	run := func(dispatch func(json.RawMessage)) float64 {
		start := time.Now()
		for range batch {
			dispatch(data)
		}
		return float64(time.Since(start).Nanoseconds()) / batch
	}
	bestOff, bestOn := math.Inf(1), math.Inf(1)
	var ratios []float64
	for i := 0; i < b.N; i += 2 * batch {
		var o, m float64
		if i%(4*batch) == 0 {
			o, m = run(off), run(on)
		} else {
			m, o = run(on), run(off) // every other pair the other way round
		}
		bestOff, bestOn = min(bestOff, o), min(bestOn, m)
		ratios = append(ratios, m/o)
	}
	slices.Sort(ratios)
	b.ReportMetric(bestOff, "ns/op-off")
	b.ReportMetric(bestOn, "ns/op-on")
	b.ReportMetric(100*(ratios[len(ratios)/2]-1), "%on/off-1")
}

// observedDispatcher returns the dispatcher of a server with observedGateway, observed by
// package metrics when on.
func observedDispatcher(b *testing.B, on bool) func(json.RawMessage) {
	var opts []gateway.Option
	if on {
		m, err := metrics.New(prometheus.NewRegistry(), metrics.Config{})
		if err != nil {
			b.Fatal(err)
		}
		opts = append(opts, gateway.WithObserver(m))
	}
	srv, err := gateway.NewServer(gateway.Config{}, opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Close() })
	if err := srv.Register(&observedGateway{}); err != nil {
		b.Fatal(err)
	}
	return gateway.DispatchForBench(srv, "/")
}

type echoGateway struct {
	decorators.Gateway

	_ decorators.Subscribe `ws:"echo"`
}

func (g *echoGateway) OnEcho(payload json.RawMessage) json.RawMessage { return payload }

// BenchmarkAckRoundTripObservedPaired is BenchmarkDispatchObservedPaired for a whole
// acknowledged event over a loopback websocket, closed loop (the client's side included):
// the share of a real request/response that metrics cost.
func BenchmarkAckRoundTripObservedPaired(b *testing.B) {
	off, on := echoRoundTrip(b, false), echoRoundTrip(b, true)
	const batch = 200
	run := func(roundTrip func()) float64 {
		start := time.Now()
		for range batch {
			roundTrip()
		}
		return float64(time.Since(start).Nanoseconds()) / batch
	}
	bestOff, bestOn := math.Inf(1), math.Inf(1)
	var ratios []float64
	for i := 0; i < b.N; i += 2 * batch {
		var o, m float64
		if i%(4*batch) == 0 {
			o, m = run(off), run(on)
		} else {
			m, o = run(on), run(off)
		}
		bestOff, bestOn = min(bestOff, o), min(bestOn, m)
		ratios = append(ratios, m/o)
	}
	slices.Sort(ratios)
	b.ReportMetric(bestOff, "ns/op-off")
	b.ReportMetric(bestOn, "ns/op-on")
	b.ReportMetric(100*(ratios[len(ratios)/2]-1), "%on/off-1")
}

// echoRoundTrip connects a websocket client to a server with echoGateway, observed by
// package metrics when on, and returns one acknowledged "echo".
func echoRoundTrip(b *testing.B, on bool) func() {
	var opts []gateway.Option
	if on {
		m, err := metrics.New(prometheus.NewRegistry(), metrics.Config{})
		if err != nil {
			b.Fatal(err)
		}
		opts = append(opts, gateway.WithObserver(m))
	}
	srv := gatewaytest.NewServer(b, gateway.Config{}, opts...)
	if err := srv.Register(&echoGateway{}); err != nil {
		b.Fatal(err)
	}
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/socket.io/?EIO=4&transport=websocket", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = ws.Close() })
	read := func() []byte {
		for {
			_, msg, err := ws.ReadMessage()
			if err != nil {
				b.Fatal(err)
			}
			if string(msg) != "2" {
				return msg
			}
			if err := ws.WriteMessage(websocket.TextMessage, []byte("3")); err != nil {
				b.Fatal(err)
			}
		}
	}
	read() // open packet
	if err := ws.WriteMessage(websocket.TextMessage, []byte("40")); err != nil {
		b.Fatal(err)
	}
	read() // CONNECT reply
	msg := []byte(`421["echo",{"text":"hello"}]`)
	return func() {
		if err := ws.WriteMessage(websocket.TextMessage, msg); err != nil {
			b.Fatal(err)
		}
		if ack := read(); !strings.HasPrefix(string(ack), "431[") {
			b.Fatalf("not the ack: %q", ack)
		}
	}
}
