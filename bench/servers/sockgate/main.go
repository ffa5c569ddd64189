// Command sockgate is the benchmark's sockgate server: a gateway struct registered with
// di.Gateway in an fx application built with di.Module, the path a user's application
// takes. It serves the scenario handlers every benchmark server has:
//
//   - on connection, the socket joins the rooms listed in the handshake query "rooms";
//   - "echo" acknowledges with its argument;
//   - "bcast" (room, payload) emits "m" with the payload to the room, except the sender.
//
// It also serves GET /__bench/mem on the module's mux, and writes CPU and heap profiles
// when asked (-cpuprofile, -memprofile).
//
// Features that keep state per socket are off by default and turned on by flags, as the
// chat example turns them on: -rate gives every event a rate limit (Config.EventRate;
// the chat example limits its messages to "100/m,burst=100"), -recovery keeps lost
// sockets for connection state recovery that long (Config.ConnectionStateRecovery).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"

	"go.uber.org/fx"

	"github.com/sockgate/sockgate/bench/benchsrv"
	"github.com/sockgate/sockgate/decorators"
	"github.com/sockgate/sockgate/di"
	"github.com/sockgate/sockgate/gateway"
)

// BenchGateway is the scenario handlers of namespace "/".
type BenchGateway struct {
	decorators.Gateway `namespace:"/"`

	_ decorators.Subscribe `ws:"echo"`  // OnEcho
	_ decorators.Subscribe `ws:"bcast"` // OnBcast
}

// NewBenchGateway is the gateway's fx constructor.
func NewBenchGateway() *BenchGateway { return &BenchGateway{} }

// OnConnect joins the rooms named in the handshake query.
func (g *BenchGateway) OnConnect(_ context.Context, s *gateway.Socket) error {
	if rooms := s.Handshake().Query.Get("rooms"); rooms != "" {
		s.Join(strings.Split(rooms, ",")...)
	}
	return nil
}

// OnEcho returns its argument, which becomes the acknowledgement.
func (g *BenchGateway) OnEcho(payload json.RawMessage) json.RawMessage { return payload }

// OnBcast relays payload to everyone else in room.
func (g *BenchGateway) OnBcast(s *gateway.Socket, room string, payload json.RawMessage) error {
	return s.To(room).Emit("m", payload)
}

// App is the whole server; heapProfile, when set, is rewritten on every memory reading.
func App(cfg gateway.Config, heapProfile string) fx.Option {
	return fx.Options(
		di.Module,
		fx.Supply(cfg),
		di.Gateway(NewBenchGateway),
		fx.Invoke(func(m *di.Mux) { m.Handle(benchsrv.MemPath, benchsrv.MemHandler(heapProfile)) }),
	)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:3000", "listen address")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	memProfile := flag.String("memprofile", "", "write a heap profile at every /__bench/mem reading")
	rate := flag.String("rate", "", `rate limit of every event, e.g. "100/m,burst=100" (empty: none)`)
	recovery := flag.Duration("recovery", 0, "connection state recovery: how long a lost socket is kept (0: off)")
	flag.Parse()
	// The load generator opens every connection from one address: no per-address or
	// server-wide connection limits.
	cfg := gateway.Config{Addr: *addr, EventRate: *rate, MaxConnections: -1, HandshakeRate: -1, MaxPendingPerAddress: -1}
	cfg.ConnectionStateRecovery.MaxDisconnectionDuration = *recovery
	// Only warnings: logging every connection would be part of the measurement.
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	stop, err := benchsrv.StartCPUProfile(*cpuProfile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "sockgate bench server: %s, GOMAXPROCS=%d\n", runtime.Version(), runtime.GOMAXPROCS(0))
	fx.New(App(cfg, *memProfile)).Run()
	stop()
}
