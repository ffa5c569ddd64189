package gateway_test

import (
	"encoding/json"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sockgate/sockgate/decorators"
	"github.com/sockgate/sockgate/gateway"
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
// method (split, handler lookup, decoding, validation, the reflective call), without
// metrics ("off") and with package metrics as the server's observer ("on").
func BenchmarkDispatchObserved(b *testing.B) {
	data := json.RawMessage(`["message",{"id":"1","text":"hello"}]`)
	for _, on := range []bool{false, true} {
		name := "off"
		if on {
			name = "on"
		}
		b.Run(name, func(b *testing.B) {
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
			dispatch := gateway.DispatchForBench(srv, "/")
			b.ReportAllocs()
			for b.Loop() {
				dispatch(data)
			}
		})
	}
}
