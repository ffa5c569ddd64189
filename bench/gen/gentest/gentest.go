// Package gentest runs every generator scenario, scaled down to a few dozen sessions and
// a fraction of a second, against a server under test, and checks the results: the
// benchmark servers' unit tests use it to show that they speak the generator's protocol.
//
// The server must answer at addr with the scenario handlers (rooms from the handshake
// query, "echo", "bcast") and serve GET /__bench/mem.
//
// # Concurrency
//
// Run runs the scenarios one after another; each returns only when its sessions are
// closed.
package gentest

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/sockgate/sockgate/bench/gen"
)

// Tiny returns scenario's options scaled down for a unit test against addr.
func Tiny(scenario, addr string) gen.Options {
	o := gen.Defaults(true)
	o.Scenario = scenario
	o.Addr = addr
	o.Sources = "127.0.0.1"
	o.IdleSteps = []int{10, 30}
	o.IdleSettle = 10 * time.Millisecond
	o.Rooms = []int{10, 20}
	o.Rates = []int{200, 400}
	o.StepTime = 200 * time.Millisecond
	o.MinBcasts = 2
	o.Drain = 2 * time.Second
	o.Warmup = 50 * time.Millisecond
	o.AckClients = []int{1, 5}
	o.AckFixedRate = 200
	o.AckFixedClients = 5
	o.StormSessions = 20
	o.StormTime = 2 * time.Second
	o.InFlight = 5
	o.SlowRoom = 6
	o.SlowRate = 120
	o.SlowPad = 100
	o.SlowPhase = 200 * time.Millisecond
	o.PollIdleSteps = []int{10, 30}
	o.PollIdleSettle = 10 * time.Millisecond
	o.PollAckClients = []int{1, 5}
	o.PollRoom = 10
	o.PollRates = []int{200, 400}
	return o
}

// Run runs every scenario against addr and fails t on any error or on results that a
// correct server cannot give: failed openings, dropped sessions, lost deliveries or acks.
func Run(t testing.TB, addr string) {
	t.Helper()
	RunScenarios(t, addr, gen.Scenarios)
}

// RunScenarios is Run with only the scenarios given.
func RunScenarios(t testing.TB, addr string, scenarios []string) {
	t.Helper()
	for _, sc := range scenarios {
		var out, log bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := gen.Run(ctx, Tiny(sc, addr), &out, &log)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v\n%s", sc, err, log.String())
		}
		n := 0
		dec := json.NewDecoder(&out)
		for dec.More() {
			var r gen.Result
			if err := dec.Decode(&r); err != nil {
				t.Fatalf("%s: result %d: %v", sc, n, err)
			}
			n++
			check(t, r)
		}
		if n == 0 {
			t.Fatalf("%s: no results", sc)
		}
	}
}

func check(t testing.TB, r gen.Result) {
	t.Helper()
	v := r.Values
	bad := func(what string) { t.Errorf("%s %s: %s (values %v)", r.Scenario, r.Step, what, v) }
	if v["failures"] > 0 || v["dropped"] > 0 {
		bad("failed or dropped sessions")
	}
	switch r.Scenario {
	case gen.ScenarioIdle, gen.ScenarioIdlePoll:
		if r.Step == "slope" && v["sessions"] != 30 {
			bad("not every session held")
		}
		if r.Step != "slope" && v["srv_heap"] <= 0 {
			bad("no memory reading")
		}
	case gen.ScenarioBcast, gen.ScenarioSlow, gen.ScenarioBcastPoll:
		if p, ok := v["delivered_pct"]; ok && p != 100 {
			bad("lost deliveries")
		}
		if r.Scenario == gen.ScenarioBcastPoll && r.Step == "room=10 summary" && v["max_ok_rate"] == 0 {
			bad("no step of a loopback broadcast to 10 polling sessions under 100 ms")
		}
		if r.Step == "room=20 summary" && v["max_ok_rate"] != 400 {
			bad("a loopback broadcast of 20 took over 100 ms")
		}
	case gen.ScenarioAck, gen.ScenarioAckPoll:
		if v["rtt_per_s"] <= 0 || r.Latency == nil || r.Latency.Count == 0 {
			bad("no round trips")
		}
		if p, ok := v["answered_pct"]; ok && p != 100 {
			bad("lost acks")
		}
	case gen.ScenarioStormWS, gen.ScenarioStormPoll:
		if v["sessions"] != 20 {
			bad("not every session opened")
		}
	}
}
