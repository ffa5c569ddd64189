package runner

import (
	"fmt"
	"math"
	"strings"

	"github.com/sockgate/sockgate/bench/gen"
)

// check is one of the targets.
type check struct {
	what     string
	measured string
	met      string // "yes", "no", or an explanation
}

func (r *report) targetsSection() {
	if !r.has(TargetSockgate) {
		return
	}
	d := r.d
	var cs []check
	yes := func(ok bool) string {
		if ok {
			return "yes"
		}
		return "**no**"
	}
	sg := func(sc, st, m string) *cell { return d.get(TargetSockgate, sc, st, m) }
	io := func(sc, st, m string) *cell { return d.get(TargetNode, sc, st, m) }
	lim := func(sc, st, m string) *cell { return d.get(TargetLimit, sc, st, m) }
	bound := func(cs ...*cell) string {
		for _, c := range cs {
			if c != nil && c.genBound {
				return " (generator-bound †)"
			}
		}
		return ""
	}
	if c := sg(gen.ScenarioIdle, "slope", "rss_per_conn"); c != nil {
		v := c.median()
		cs = append(cs, check{"idle memory per connection ≤ 6,000 B (RSS slope after GC)", fmtNum(v, uBytes), yes(v <= 6000)})
		if x := ratio(c, io(gen.ScenarioIdle, "slope", "rss_per_conn")); !math.IsNaN(x) {
			cs = append(cs, check{"idle memory ≤ ½ socket.io's", "ratio " + fmtNum(x, uRatio), yes(x <= 0.5)})
		}
	}
	if c := d.get(TargetFeatures, gen.ScenarioIdle, "slope", "rss_per_conn"); c != nil {
		without := "–"
		if w := sg(gen.ScenarioIdle, "slope", "rss_per_conn"); w != nil {
			without = fmtNum(w.median(), uBytes)
		}
		v := c.median()
		cs = append(cs, check{"idle memory per connection with the chat example's features (" + strings.Join(featureFlags, " ") + ") ≤ 4,500 B",
			fmt.Sprintf("%s (without them: %s)", fmtNum(v, uBytes), without), yes(v <= 4500)})
	}
	if a, b := sg(gen.ScenarioAck, "c=100", "rtt_per_s"), io(gen.ScenarioAck, "c=100", "rtt_per_s"); a != nil && b != nil {
		x := ratio(a, b)
		cs = append(cs, check{"acks, 100 clients: round trips/s ≥ 3× socket.io's",
			fmt.Sprintf("%s vs %s/s: %s×%s", fmtNum(a.median(), uCount), fmtNum(b.median(), uCount), fmtNum(x, uRatio), bound(a, b)), yes(x >= 3)})
	}
	if a, b := sg(gen.ScenarioAck, "c=100", "p99_ms"), io(gen.ScenarioAck, "c=100", "p99_ms"); a != nil && b != nil {
		x := ratio(a, b)
		cs = append(cs, check{"acks, 100 clients: p99 ≤ ⅓ socket.io's",
			fmt.Sprintf("%s vs %s: %s×%s", fmtNum(a.median(), uMs), fmtNum(b.median(), uMs), fmtNum(x, uRatio), bound(a, b)), yes(x <= 1.0/3)})
	}
	for _, room := range r.rooms() {
		st := fmt.Sprintf("room=%d summary", room)
		a, b, c := sg(gen.ScenarioBcast, st, "max_ok_rate"), io(gen.ScenarioBcast, st, "max_ok_rate"), lim(gen.ScenarioBcast, st, "max_ok_rate")
		if a == nil {
			continue
		}
		if b != nil {
			cs = append(cs, rateCheck(fmt.Sprintf("broadcast to %s: highest rate with p99 < 100 ms ≥ 1.3× socket.io's", thousands(float64(room))), a, b, 1.3))
		}
		if c != nil {
			cs = append(cs, rateCheck(fmt.Sprintf("broadcast to %s: highest rate with p99 < 100 ms ≥ 0.85× the limit's", thousands(float64(room))), a, c, 0.85))
		}
		rs := fmt.Sprintf("room=%d rate=20000", room)
		if ua, ub := sg(gen.ScenarioBcast, rs, "srv_user_us_op"), io(gen.ScenarioBcast, rs, "srv_user_us_op"); ua != nil && ub != nil {
			x := ratio(ua, ub)
			cs = append(cs, check{fmt.Sprintf("broadcast to %s at 20k/s: user CPU per delivery ≤ ⅓ socket.io's", thousands(float64(room))),
				fmt.Sprintf("%s vs %s: %s×", fmtNum(ua.median(), uUs), fmtNum(ub.median(), uUs), fmtNum(x, uRatio)), yes(x <= 1.0/3)})
		}
	}
	for _, s := range []struct {
		sc   string
		want float64
		name string
	}{{gen.ScenarioStormWS, 2.5, "websocket"}, {gen.ScenarioStormPoll, 2, "polling then upgrade"}} {
		st := r.firstStep(s.sc)
		a, b := sg(s.sc, st, "sessions_per_s"), io(s.sc, st, "sessions_per_s")
		if a == nil || b == nil {
			continue
		}
		x := ratio(a, b)
		cs = append(cs, check{fmt.Sprintf("connect storm over %s: sessions/s ≥ %g× socket.io's", s.name, s.want),
			fmt.Sprintf("%s vs %s/s: %s×%s", fmtNum(a.median(), uCount), fmtNum(b.median(), uCount), fmtNum(x, uRatio), bound(a, b)), yes(x >= s.want)})
	}
	if c := sg(gen.ScenarioIdlePoll, "slope", "rss_per_conn"); c != nil {
		if x := ratio(c, io(gen.ScenarioIdlePoll, "slope", "rss_per_conn")); !math.IsNaN(x) {
			cs = append(cs, check{"polling: memory per idle session ≤ ½ socket.io's",
				fmt.Sprintf("%s vs %s: ratio %s", fmtNum(c.median(), uBytes), fmtNum(io(gen.ScenarioIdlePoll, "slope", "rss_per_conn").median(), uBytes), fmtNum(x, uRatio)), yes(x <= 0.5)})
		}
	}
	if a, b := sg(gen.ScenarioAckPoll, "c=100", "rtt_per_s"), io(gen.ScenarioAckPoll, "c=100", "rtt_per_s"); a != nil && b != nil {
		x := ratio(a, b)
		cs = append(cs, check{"acks over polling, 100 clients: round trips/s ≥ 2× socket.io's",
			fmt.Sprintf("%s vs %s/s: %s×%s", fmtNum(a.median(), uCount), fmtNum(b.median(), uCount), fmtNum(x, uRatio), bound(a, b)), yes(x >= 2)})
	}
	if a, b := sg(gen.ScenarioAckPoll, "c=100", "p99_ms"), io(gen.ScenarioAckPoll, "c=100", "p99_ms"); a != nil && b != nil {
		x := ratio(a, b)
		cs = append(cs, check{"acks over polling, 100 clients: p99 ≤ socket.io's (at that rate)",
			fmt.Sprintf("%s vs %s: %s×%s", fmtNum(a.median(), uMs), fmtNum(b.median(), uMs), fmtNum(x, uRatio), bound(a, b)), yes(x <= 1)})
	}
	for _, room := range r.roomsOf(gen.ScenarioBcastPoll) {
		st := fmt.Sprintf("room=%d summary", room)
		if a, b := sg(gen.ScenarioBcastPoll, st, "max_ok_rate"), io(gen.ScenarioBcastPoll, st, "max_ok_rate"); a != nil && b != nil {
			cs = append(cs, rateCheck(fmt.Sprintf("broadcast to %s polling sessions: highest rate with p99 < 100 ms ≥ 2× socket.io's", thousands(float64(room))), a, b, 2))
		}
	}
	r.p("## Targets\n\n| Target | Measured | Met |\n|---|---|---|\n")
	for _, c := range cs {
		r.p("| %s | %s | %s |\n", c.what, c.measured, c.met)
	}
	r.p("\n")
}

// rateCheck compares the highest passing broadcast rates; a server that passes no step
// has none, which the table says in words.
func rateCheck(what string, a, b *cell, want float64) check {
	x, y := a.median(), b.median()
	m := fmt.Sprintf("%s vs %s deliveries/s", fmtNum(x, uCount), fmtNum(y, uCount))
	switch {
	case x == 0 && y == 0:
		return check{what, m, "n/a: neither passes the lowest step"}
	case y == 0:
		return check{what, m + " (the other passes no step)", "yes"}
	}
	r := x / y
	ok := "**no**"
	if r >= want {
		ok = "yes"
	}
	return check{what, m + ": " + fmtNum(r, uRatio) + "×", ok}
}

func (r *report) checks() {
	if len(r.d.checks) == 0 {
		return
	}
	// target → case → client → metric → value
	type k struct{ target, scen, client string }
	vals := map[k]map[string]float64{}
	cpu := map[k]float64{}
	for _, rec := range r.d.checks {
		res := rec.Result
		if res == nil {
			continue
		}
		kk := k{rec.Target, rec.Scenario, rec.Client}
		m := vals[kk]
		if m == nil {
			m = map[string]float64{}
			vals[kk] = m
		}
		for n, v := range res.Values {
			m[n] = v
		}
		if l := res.Latency; l != nil && l.Count > 0 {
			m["p50_ms"] = float64(l.P50) / 1e6
		}
		if res.GenCPU > 0 {
			cpu[kk] = res.GenCPU
		}
	}
	metrics := map[string][]struct {
		name, label string
		u           unit
		compare     bool
	}{
		"idle":  {{"rss_per_conn", "server RSS per connection", uBytes, true}, {"heap_per_conn", "server heap per connection", uBytes, true}},
		"ack":   {{"rtt_per_s", "round trips/s (fixed 2,000/s, 20 clients)", uCount, true}, {"answered_pct", "answered", uPct, true}, {"srv_cpu_us_op", "server CPU per round trip (mostly waking up: see below)", uUs, false}, {"p50_ms", "p50 round trip (client-side)", uMs, false}},
		"bcast": {{"deliveries_per_s", "deliveries/s (room 300, 6,000/s)", uCount, true}, {"delivered_pct", "delivered", uPct, true}, {"srv_cpu_us_op", "server CPU per delivery", uUs, true}, {"p50_ms", "p50 latency (client-side)", uMs, false}},
	}
	r.p("## Generator check against socket.io-client\n\n")
	r.p("The same small scenarios run once with the generator and once with the official\n")
	r.p("socket.io-client 4.8 (websocket transport, `bench/node/client.js`), each on a fresh\n")
	r.p("server. Rows marked *compared* are server-side or rate figures that should agree within\n")
	r.p("10 %%; client-side latency includes each client's own overhead and is shown for reference.\n")
	r.p("Server CPU here is user and system together, to the nanosecond (`/proc/<pid>/task/*/schedstat`):\n")
	r.p("the user/system split of `/proc/<pid>/stat` is 10 ms coarse, too coarse for runs this short.\n")
	r.p("At 2,000 round trips/s a server is about 10 %% busy, and most of its CPU per round trip is\n")
	r.p("the cost of waking up for each message, which depends on how each client spaces its\n")
	r.p("writes: it is shown, not compared. The broadcast's CPU per delivery is the fan-out's own.\n\n")
	r.p("| target | scenario | figure | generator | socket.io-client | difference | within 10 %% |\n|---|---|---|---|---|---|---|\n")
	for _, t := range Targets {
		for _, sc := range []string{"idle", "ack", "bcast"} {
			g, o := vals[k{t, sc, ClientGenerator}], vals[k{t, sc, ClientOfficial}]
			if g == nil || o == nil {
				continue
			}
			for _, mt := range metrics[sc] {
				gv, ok1 := g[mt.name]
				ov, ok2 := o[mt.name]
				if !ok1 || !ok2 {
					continue
				}
				diff := math.NaN()
				if ov != 0 {
					diff = 100 * (gv - ov) / ov
				}
				within := "(not compared)"
				if mt.compare {
					within = "**no**"
					if math.Abs(diff) <= 10 {
						within = "yes"
					}
				}
				r.p("| %s | %s | %s | %s | %s | %+.1f %% | %s |\n", t, sc, mt.label, fmtNum(gv, mt.u), fmtNum(ov, mt.u), diff, within)
			}
			r.p("| %s | %s | client CPU | %s | %s | | |\n", t, sc, fmtNum(cpu[k{t, sc, ClientGenerator}], uShare), fmtNum(cpu[k{t, sc, ClientOfficial}], uShare))
		}
	}
	r.p("\n")
}

func (r *report) failures() {
	if len(r.d.failures) == 0 {
		return
	}
	r.p("## Failed runs\n\n| rep | scenario | target | error |\n|---|---|---|---|\n")
	for _, f := range r.d.failures {
		r.p("| %d | %s | %s | %s |\n", f.Rep+1, f.Scenario, f.Target, strings.ReplaceAll(f.Error, "|", "\\|"))
	}
	r.p("\n")
}
