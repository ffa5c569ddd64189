package gateway

import (
	"encoding/json"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/sockgate/sockgate/decorators"
)

// ackGateway is the benchmark's echo: its argument comes back as the acknowledgement.
type ackGateway struct {
	decorators.Gateway `namespace:"/"`

	_ decorators.Subscribe `ws:"echo"`
}

func (g *ackGateway) OnEcho(payload json.RawMessage) json.RawMessage { return payload }

// ackGatewayGen is ackGateway with its handler spec written as typed code, as sockgate
// gen writes it: no reflection on the way to the method.
type ackGatewayGen struct {
	decorators.Gateway `namespace:"/"`

	_ decorators.Subscribe `ws:"echo"`
}

func (g *ackGatewayGen) OnEcho(payload json.RawMessage) json.RawMessage { return payload }

func init() {
	RegisterGenerated(GeneratedVersion, func(g *ackGatewayGen) []HandlerSpec {
		return []HandlerSpec{{
			Event:  "echo",
			Method: "OnEcho",
			Invoke: func(e *Event) (func() (any, error), error) {
				b0, err := Body[json.RawMessage](e, 0)
				if err != nil {
					return nil, err
				}
				return func() (any, error) { return g.OnEcho(b0), nil }, nil
			},
		}}
	})
}

// BenchmarkAckRoundTrip is one acknowledged event over a loopback websocket, closed loop:
// the client writes 42<id>["echo",{...}] and reads 43<id>[{...}] before the next. The
// figure includes the client's side (a gorilla connection reading into a kept buffer:
// about 2 allocations per round trip of its own). The gateway method is called by
// reflection.
func BenchmarkAckRoundTrip(b *testing.B) { ackRoundTrip(b, &ackGateway{}) }

// BenchmarkAckRoundTripGenerated is BenchmarkAckRoundTrip through the generated spec.
func BenchmarkAckRoundTripGenerated(b *testing.B) { ackRoundTrip(b, &ackGatewayGen{}) }

func ackRoundTrip(b *testing.B, gw any) {
	roundTrip := dialEcho(b, gw)
	b.ReportAllocs()
	for b.Loop() {
		roundTrip()
	}
}

// TestAckRoundTripAllocations holds the allocations of an acknowledged event (the
// client's 2 included) to what the changes of issue 12 brought them to, as
// testing.AllocsPerRun counts them: 11 through a generated spec, 14 by reflection (19 and
// 21 before).
func TestAckRoundTripAllocations(t *testing.T) {
	for _, tc := range []struct {
		name string
		gw   any
		max  float64
	}{{"generated", &ackGatewayGen{}, 11}, {"reflection", &ackGateway{}, 14}} {
		roundTrip := dialEcho(t, tc.gw)
		for range 100 { // warm: workers, the socket's mailbox array
			roundTrip()
		}
		// Rounded down: a timer or the runtime may allocate now and then during the run.
		if got := math.Floor(testing.AllocsPerRun(500, roundTrip)); got > tc.max {
			t.Errorf("%s: %v allocations per round trip, want at most %v", tc.name, got, tc.max)
		}
	}
}

// dialEcho registers gw on a fresh server, connects a websocket client to "/" and returns
// one closed-loop round trip of an acknowledged "echo".
func dialEcho(b testing.TB, gw any) func() {
	srv, hs := newTestServer(b, Config{})
	if err := srv.Register(gw); err != nil {
		b.Fatal(err)
	}
	url := "ws" + strings.TrimPrefix(hs.URL, "http") + "/socket.io/?EIO=4&transport=websocket"
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = ws.Close() })
	buf := make([]byte, 4096)
	read := func() []byte {
		for {
			_, r, err := ws.NextReader()
			if err != nil {
				b.Fatal(err)
			}
			n, err := io.ReadFull(r, buf)
			if err != io.ErrUnexpectedEOF && err != io.EOF {
				b.Fatalf("frame: %v", err)
			}
			if n == 1 && buf[0] == '2' { // ping
				if err := ws.WriteMessage(websocket.TextMessage, []byte("3")); err != nil {
					b.Fatal(err)
				}
				continue
			}
			return buf[:n]
		}
	}
	read() // open packet
	if err := ws.WriteMessage(websocket.TextMessage, []byte("40")); err != nil {
		b.Fatal(err)
	}
	read() // CONNECT reply
	msg := []byte(`42`)
	tail := []byte(`["echo",{"t":1764700000000000000,"p":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}]`)
	var id int64
	return func() {
		msg = append(strconv.AppendInt(msg[:2], id, 10), tail...)
		if err := ws.WriteMessage(websocket.TextMessage, msg); err != nil {
			b.Fatal(err)
		}
		ack := read()
		if len(ack) < 3 || ack[0] != '4' || ack[1] != '3' {
			b.Fatalf("not an ack: %q", ack)
		}
		id++
	}
}

// TestRawSize: the ack buffer's size hint counts raw JSON and strings only.
func TestRawSize(t *testing.T) {
	for _, tc := range []struct {
		args []any
		want int
	}{
		{nil, 0},
		{[]any{json.RawMessage(`{"a":1}`)}, 8},
		{[]any{"abc", 5, json.RawMessage(`1`)}, 6 + 2},
	} {
		if got := rawSize(tc.args); got != tc.want {
			t.Errorf("rawSize(%v) = %d, want %d", tc.args, got, tc.want)
		}
	}
}
