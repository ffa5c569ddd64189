package runner

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sockgate/sockgate/bench/gen"
)

// rooms lists the broadcast room sizes in the results of the websocket broadcast.
func (r *report) rooms() []int { return r.roomsOf(gen.ScenarioBcast) }

// roomsOf lists the room sizes of a broadcast scenario's results.
func (r *report) roomsOf(scenario string) []int {
	var out []int
	for _, st := range r.d.steps(scenario, strings.Compare) {
		if rest, ok := strings.CutPrefix(st, "room="); ok {
			if n, after, ok := strings.Cut(rest, " "); ok && after == "summary" {
				if v, err := strconv.Atoi(n); err == nil {
					out = append(out, v)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

func (r *report) firstStep(scenario string) string {
	st := r.d.steps(scenario, strings.Compare)
	if len(st) == 0 {
		return ""
	}
	return st[0]
}

func (r *report) idle() {
	if len(r.d.steps(gen.ScenarioIdle, strings.Compare)) == 0 {
		return
	}
	s := gen.ScenarioIdle
	r.p("## (a) Idle connections: memory per connection\n\n")
	r.p("Websocket-only sessions opened in steps, 200 at a time; at each step the server collects\n")
	r.p("garbage (`/__bench/mem`), then its RSS is read from `/proc/<pid>/smaps_rollup`. Per\n")
	r.p("connection is the least-squares slope over the steps. *Heap* is the runtime's own count\n")
	r.p("(Go HeapAlloc; V8 heapUsed, which leaves out ws buffers), *stack* Go's goroutine stacks,\n")
	r.p("*kernel* the machine's slab growth for both ends of each connection.\n\n")
	r.table([]row{
		{"RSS per connection", s, "slope", "rss_per_conn", uBytes},
		{"anonymous memory per connection", s, "slope", "anon_per_conn", uBytes},
		{"runtime heap per connection", s, "slope", "heap_per_conn", uBytes},
		{"goroutine stacks per connection", s, "slope", "stack_per_conn", uBytes},
		{"kernel (both ends) per connection", s, "slope", "kernel_per_conn", uBytes},
		{"R² of the RSS fit", s, "slope", "rss_r2", uCount},
		{"sessions held", s, "slope", "sessions", uCount},
		{"sessions dropped", s, "slope", "dropped", uCount},
	})
	var rows []row
	for _, st := range r.d.steps(s, stepNumber) {
		if st == "slope" {
			continue
		}
		rows = append(rows, row{"RSS at " + st, s, st, "rss", uBytes})
		if st != "n=0" {
			rows = append(rows, row{"opening rate to " + st + " (sessions/s)", s, st, "open_per_s", uCount})
		}
	}
	r.table(rows)
}

// stepNumber orders steps by their first number ("n=2000" before "n=12000").
func stepNumber(a, b string) int {
	return cmpNum(firstNumber(a), firstNumber(b), a, b)
}

func cmpNum(x, y int, a, b string) int {
	if x != y {
		return x - y
	}
	return strings.Compare(a, b)
}

func firstNumber(s string) int {
	i := strings.IndexAny(s, "0123456789")
	if i < 0 {
		return -1
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	n, _ := strconv.Atoi(s[i:j])
	return n
}

// rateOf reads "rate=N" from a broadcast step.
func rateOf(step string) int {
	i := strings.Index(step, "rate=")
	if i < 0 {
		return -1
	}
	return firstNumber(step[i:])
}

func (r *report) bcast() {
	rooms := r.rooms()
	if len(rooms) == 0 {
		return
	}
	s := gen.ScenarioBcast
	r.p("## (b) Broadcast fan-out\n\n")
	r.p("All receivers join rooms through the handshake query; one extra connection asks for\n")
	r.p("`socket.to(room).emit(\"m\", payload)` at open-loop rates (deliveries/s = room size × broadcasts/s),\n")
	def := gen.Defaults(r.d.header.Quick)
	r.p("each step at least %v (the 20k/s step %v) and %d broadcasts, then a drain. Latency runs from the scheduled send\n", def.StepTime, max(def.StepTime, def.CPUStep), def.MinBcasts)
	r.p("time (carried in the ~100-byte payload) to the receiver's read. A step passes with p99 under\n")
	r.p("100 ms and at least 99.9 %% delivered; a room's ladder stops after a failed step at or\n")
	r.p("above 40k/s, or at p99 over 1 s, and one step between the last pass and the first failure\n")
	r.p("refines the highest passing rate. CPU per delivery is the server's, user and system.\n\n")
	r.ladders(s, rooms)
}

// ladders writes, per room, the summary and every step of a broadcast scenario.
func (r *report) ladders(s string, rooms []int) {
	for _, room := range rooms {
		sum := fmt.Sprintf("room=%d summary", room)
		r.p("### Room of %s\n\n", thousands(float64(room)))
		r.table([]row{
			{"highest rate with p99 < 100 ms (deliveries/s)", s, sum, "max_ok_rate", uCount},
			{"p99 at 20k deliveries/s", s, sum, "p99_ms_at_20k", uMs},
			{"p99 at 40k deliveries/s", s, sum, "p99_ms_at_40k", uMs},
			{"user CPU per delivery at 20k/s", s, fmt.Sprintf("room=%d rate=20000", room), "srv_user_us_op", uUs},
			{"system CPU per delivery at 20k/s", s, fmt.Sprintf("room=%d rate=20000", room), "srv_sys_us_op", uUs},
			{"all CPU per delivery at 20k/s (ns-exact)", s, fmt.Sprintf("room=%d rate=20000", room), "srv_cpu_us_op", uUs},
		})
		var steps []string
		for _, st := range r.d.steps(s, func(a, b string) int { return cmpNum(rateOf(a), rateOf(b), a, b) }) {
			if strings.HasPrefix(st, fmt.Sprintf("room=%d rate=", room)) {
				steps = append(steps, st)
			}
		}
		var targets []string
		for _, t := range r.targets {
			if r.d.get(t, s, sum, "max_ok_rate") != nil {
				targets = append(targets, t)
			}
		}
		r.p("| step | ")
		for _, t := range targets {
			r.p("%s p50 / p99 | delivered | user µs | ", t)
		}
		r.p("\n|---|")
		for range targets {
			r.p("---|---|---|")
		}
		r.p("\n")
		for _, st := range steps {
			r.p("| %s/s | ", strings.TrimPrefix(st, fmt.Sprintf("room=%d rate=", room)))
			for _, t := range targets {
				p50, p99 := r.d.get(t, s, st, "p50_ms"), r.d.get(t, s, st, "p99_ms")
				if p99 == nil {
					r.p("– | – | – | ")
					continue
				}
				mark := ""
				if p99.genBound {
					mark = " †"
				}
				r.p("%s / %s%s | %s | %s | ", fmtNum(p50.median(), uMs), fmtNum(p99.median(), uMs), mark,
					fmtNum(r.d.get(t, s, st, "delivered_pct").median(), uPct), fmtNum(r.d.get(t, s, st, "srv_user_us_op").median(), uCount))
			}
			r.p("\n")
		}
		r.p("\n")
	}
}

func (r *report) ack() {
	s := gen.ScenarioAck
	steps := r.d.steps(s, func(a, b string) int {
		fa, fb := strings.HasPrefix(a, "fixed"), strings.HasPrefix(b, "fixed")
		if fa != fb {
			if fa {
				return 1
			}
			return -1
		}
		return stepNumber(a, b)
	})
	if len(steps) == 0 {
		return
	}
	r.p("## (c) Acknowledgements\n\n")
	r.p("`42<id>[\"echo\",payload]` answered by `43<id>[payload]`. Closed loops: each client sends\n")
	r.p("its next echo when the previous ack arrives. The fixed step spreads a set rate over its\n")
	r.p("clients regardless of answers, so latency is compared at equal load.\n\n")
	r.ackSteps(s, steps)
}

// ackSteps writes a table per step of an ack scenario.
func (r *report) ackSteps(s string, steps []string) {
	for _, st := range steps {
		r.p("### %s\n\n", st)
		r.table([]row{
			{"round trips/s", s, st, "rtt_per_s", uCount},
			{"p50", s, st, "p50_ms", uMs},
			{"p99", s, st, "p99_ms", uMs},
			{"p99.9", s, st, "p999_ms", uMs},
			{"server user CPU per round trip", s, st, "srv_user_us_op", uUs},
			{"server system CPU per round trip", s, st, "srv_sys_us_op", uUs},
			{"server CPU per round trip (ns-exact)", s, st, "srv_cpu_us_op", uUs},
			{"generator CPU", s, st, "gen_cpu", uShare},
		})
	}
}

func (r *report) storms() {
	for _, sc := range []struct{ s, title string }{
		{gen.ScenarioStormWS, "(d1) Connect storm over websocket"},
		{gen.ScenarioStormPoll, "(d2) Connect storm over polling, then upgrade"},
	} {
		steps := r.d.steps(sc.s, strings.Compare)
		if len(steps) == 0 {
			continue
		}
		r.p("## %s\n\n", sc.title)
		if sc.s == gen.ScenarioStormWS {
			r.p("New sessions, a fixed number in flight, each counted when `40{sid}` arrives; the\n")
			r.p("latency is from the TCP connect to that reply. Sessions stay open to the end.\n\n")
		} else {
			r.p("Each session: `GET` (open packet), `POST 40`, `GET` (`40{sid}`) on one keep-alive\n")
			r.p("connection, then a websocket with the sid, `2probe`/`3probe`, `5`; counted at `5`.\n\n")
		}
		for _, st := range steps {
			r.table([]row{
				{"sessions/s (" + st + ")", sc.s, st, "sessions_per_s", uCount},
				{"handshake p50", sc.s, st, "p50_ms", uMs},
				{"handshake p99", sc.s, st, "p99_ms", uMs},
				{"sessions opened", sc.s, st, "sessions", uCount},
				{"failures", sc.s, st, "failures", uCount},
				{"server user CPU per session", sc.s, st, "srv_user_us_op", uUs},
				{"server system CPU per session", sc.s, st, "srv_sys_us_op", uUs},
				{"server CPU per session (ns-exact)", sc.s, st, "srv_cpu_us_op", uUs},
				{"generator CPU", sc.s, st, "gen_cpu", uShare},
			})
		}
	}
}

func (r *report) slow() {
	s := gen.ScenarioSlow
	if len(r.d.steps(s, strings.Compare)) == 0 {
		return
	}
	r.p("## (e) Slow consumer\n\n")
	r.p("A room where one receiver (with a small socket receive buffer) stops reading half way,\n")
	r.p("while 1-kB broadcasts go on at a fixed rate. Latency and delivery are the other\n")
	r.p("receivers'. Memory is read after a GC at the end of each phase.\n\n")
	a, b := "all reading", "one stalled"
	r.table([]row{
		{"p99, all reading", s, a, "p99_ms", uMs},
		{"p99, one stalled", s, b, "p99_ms", uMs},
		{"p99 stalled / p99 all reading", s, b, "p99_ratio", uRatio},
		{"delivered to the others, one stalled", s, b, "delivered_pct", uPct},
		{"RSS, all reading", s, a, "rss", uBytes},
		{"RSS, one stalled", s, b, "rss", uBytes},
		{"RSS growth while stalled", s, b, "rss_growth", uBytes},
		{"stalled receiver disconnected by the server (1 = yes)", s, b, "slow_disconnected", uCount},
	})
}

func (r *report) polling() {
	idle := r.d.steps(gen.ScenarioIdlePoll, strings.Compare)
	acks := r.d.steps(gen.ScenarioAckPoll, stepNumber)
	rooms := r.roomsOf(gen.ScenarioBcastPoll)
	if len(idle)+len(acks)+len(rooms) == 0 {
		return
	}
	r.p("## (f) Sessions kept on long-polling\n\n")
	r.p("Clients behind proxies that block websockets stay on HTTP long-polling. Each session\n")
	r.p("here never upgrades: one keep-alive connection carries its GETs (one outstanding at a\n")
	r.p("time, answered when the server has packets or a ping), a second one its POSTs (the\n")
	r.p("client's packets and pongs). The limit server keeps no session on polling and is not run.\n\n")
	if len(idle) > 0 {
		s := gen.ScenarioIdlePoll
		r.p("### Idle polling sessions: memory per session\n\n")
		r.p("As (a), with a GET outstanding per session, each reading taken 2.5 s after the\n")
		r.p("step's last session opened (`-poll-idle-settle`): by then every GET has waited past\n")
		r.p("the 1 to 2 s after which sockgate answers it off net/http.\n\n")
		r.table([]row{
			{"RSS per session", s, "slope", "rss_per_conn", uBytes},
			{"runtime heap per session", s, "slope", "heap_per_conn", uBytes},
			{"goroutine stacks per session", s, "slope", "stack_per_conn", uBytes},
			{"kernel (both ends) per session", s, "slope", "kernel_per_conn", uBytes},
			{"R² of the RSS fit", s, "slope", "rss_r2", uCount},
			{"sessions held", s, "slope", "sessions", uCount},
			{"sessions dropped", s, "slope", "dropped", uCount},
		})
	}
	if len(acks) > 0 {
		r.p("### Acknowledgements over polling\n\n")
		r.p("Closed loops: a client POSTs `42<id>[\"echo\",payload]` and waits for `43<id>[payload]`\n")
		r.p("to come back in a GET; the round trip runs from before the POST to the GET's answer.\n\n")
		r.ackSteps(gen.ScenarioAckPoll, acks)
	}
	if len(rooms) > 0 {
		r.p("### Broadcast to a room of polling sessions\n\n")
		r.p("As (b), the sender on websocket, every receiver on polling: a GET answers with every\n")
		r.p("delivery queued since the last one, so deliveries come in batches.\n\n")
		r.ladders(gen.ScenarioBcastPoll, rooms)
	}
}

// growthSizes are the connection counts of the cost table.
var growthSizes = []int{1000, 5000, 15000}

// growth writes the cost table: CPU per delivery and memory per connection at 1k, 5k
// and 15k connections.
func (r *report) growth() {
	var rows []row
	for _, n := range growthSizes {
		st := fmt.Sprintf("room=%d rate=20000", n)
		name := thousands(float64(n))
		for _, rw := range []row{
			{"all CPU per delivery, room of " + name + " at 20k/s (ns-exact)", gen.ScenarioBcast, st, "srv_cpu_us_op", uUs},
			{"user CPU per delivery, room of " + name + " at 20k/s", gen.ScenarioBcast, st, "srv_user_us_op", uUs},
			{"RSS per connection, " + name + " idle connections", gen.ScenarioIdle, "n=" + strconv.Itoa(n), "mem_per_conn", uBytes},
			{"heap per connection, " + name + " idle connections", gen.ScenarioIdle, "n=" + strconv.Itoa(n), "heap_per_conn", uBytes},
		} {
			for _, t := range r.targets {
				if r.d.get(t, rw.scenario, rw.step, rw.metric) != nil {
					rows = append(rows, rw)
					break
				}
			}
		}
	}
	if len(rows) == 0 {
		return
	}
	r.p("## (g) Cost as the work grows\n\n")
	r.p("Server CPU per delivery in the broadcast step at 20k deliveries/s to rooms of 1,000,\n")
	r.p("5,000 and 15,000 (from (b); the 15,000 receivers are all connected in every room's step),\n")
	r.p("and memory per connection with 1,000, 5,000 and 15,000 idle websocket connections\n")
	r.p("(from (a): the RSS, or the runtime heap, over the reading before the first connection,\n")
	r.p("divided by the connections).\n\n")
	r.table(rows)
}
