package runner

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sockgate/sockgate/bench/gen"
)

// WriteReport reads the last run of the results file and writes its Markdown report to
// out, with the notes file (if any) appended.
func WriteReport(results, out, notes string) error {
	f, err := os.Open(results)
	if err != nil {
		return fmt.Errorf("runner: %w", err)
	}
	recs, err := ReadRecords(f)
	f.Close()
	if err != nil {
		return err
	}
	recs, err = lastRun(recs)
	if err != nil {
		return err
	}
	var notesText []byte
	if notes != "" {
		if notesText, err = os.ReadFile(notes); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("runner: %w", err)
		}
	}
	md := Render(recs, string(notesText))
	if err := os.WriteFile(out, []byte(md), 0o644); err != nil {
		return fmt.Errorf("runner: %w", err)
	}
	return nil
}

// cell is one metric of one step of one target over the repetitions.
type cell struct {
	vals     []float64
	genBound bool
}

func (c *cell) median() float64 {
	if c == nil || len(c.vals) == 0 {
		return math.NaN()
	}
	v := slices.Clone(c.vals)
	sort.Float64s(v)
	if n := len(v); n%2 == 1 {
		return v[n/2]
	} else {
		return (v[n/2-1] + v[n/2]) / 2
	}
}

func (c *cell) spread() (lo, hi float64) {
	if c == nil || len(c.vals) == 0 {
		return math.NaN(), math.NaN()
	}
	return slices.Min(c.vals), slices.Max(c.vals)
}

// data indexes results: target → "scenario|step" → metric → cell.
type data struct {
	cells    map[string]map[string]map[string]*cell
	failures []Record
	checks   []Record
	header   Record
	end      Record
	reps     int
}

func key(scenario, step string) string { return scenario + "|" + step }

func index(recs []Record) *data {
	d := &data{cells: map[string]map[string]map[string]*cell{}}
	reps := map[int]bool{}
	for _, r := range recs {
		switch r.Kind {
		case KindRun:
			d.header = r
		case KindEnd:
			d.end = r
		case KindFailure:
			d.failures = append(d.failures, r)
		case KindValidate:
			d.checks = append(d.checks, r)
		case KindResult:
			if r.Result == nil {
				continue
			}
			reps[r.Rep] = true
			d.add(r.Target, r.Result)
		}
	}
	d.reps = len(reps)
	return d
}

func (d *data) add(target string, res *gen.Result) {
	steps := d.cells[target]
	if steps == nil {
		steps = map[string]map[string]*cell{}
		d.cells[target] = steps
	}
	k := key(res.Scenario, res.Step)
	m := steps[k]
	if m == nil {
		m = map[string]*cell{}
		steps[k] = m
	}
	put := func(name string, v float64) {
		c := m[name]
		if c == nil {
			c = &cell{}
			m[name] = c
		}
		c.vals = append(c.vals, v)
		c.genBound = c.genBound || res.GenBound
	}
	for name, v := range res.Values {
		put(name, v)
	}
	put("gen_cpu", res.GenCPU)
	if l := res.Latency; l != nil && l.Count > 0 {
		put("p50_ms", float64(l.P50)/1e6)
		put("p99_ms", float64(l.P99)/1e6)
		put("p999_ms", float64(l.P999)/1e6)
		put("max_ms", float64(l.Max)/1e6)
	}
}

func (d *data) get(target, scenario, step, metric string) *cell {
	return d.cells[target][key(scenario, step)][metric]
}

// steps returns the step names of a scenario seen for any target, in first-seen order
// is not kept by maps: sort them with less.
func (d *data) steps(scenario string, less func(a, b string) int) []string {
	seen := map[string]bool{}
	var out []string
	for _, steps := range d.cells {
		for k := range steps {
			sc, st, _ := strings.Cut(k, "|")
			if sc == scenario && !seen[st] {
				seen[st] = true
				out = append(out, st)
			}
		}
	}
	slices.SortFunc(out, less)
	return out
}

// format kinds.
type unit int

const (
	uCount unit = iota
	uBytes
	uMs
	uUs
	uPct
	uShare // 0..1 shown as percent
	uRatio
)

func fmtNum(v float64, u unit) string {
	if math.IsNaN(v) {
		return "–"
	}
	return bare(v, u) + suffix(u)
}

// bare formats v without its unit.
func bare(v float64, u unit) string {
	switch u {
	case uBytes:
		return thousands(v)
	case uPct, uRatio:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case uShare:
		return strconv.FormatFloat(100*v, 'f', 0, 64)
	}
	if u == uCount && (math.Abs(v) >= 100 || v == math.Trunc(v)) {
		return thousands(v)
	}
	return strconv.FormatFloat(v, 'f', precision(v), 64)
}

func suffix(u unit) string {
	switch u {
	case uBytes:
		return " B"
	case uMs:
		return " ms"
	case uUs:
		return " µs"
	case uPct, uShare:
		return " %"
	}
	return ""
}

func precision(v float64) int {
	switch a := math.Abs(v); {
	case a >= 100:
		return 0
	case a >= 10:
		return 1
	case a >= 1:
		return 2
	default:
		return 3
	}
}

func thousands(v float64) string {
	neg := v < 0
	s := strconv.FormatFloat(math.Abs(math.Round(v)), 'f', 0, 64)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// fmtCell shows the median and, over several repetitions, the min–max; a generator-bound
// cell is marked with a dagger.
func fmtCell(c *cell, u unit) string {
	if c == nil || len(c.vals) == 0 {
		return "–"
	}
	s := fmtNum(c.median(), u)
	if len(c.vals) > 1 {
		lo, hi := c.spread()
		s += " <sub>" + bare(lo, u) + "–" + bare(hi, u) + "</sub>"
	}
	if c.genBound {
		s += " †"
	}
	return s
}

func ratio(a, b *cell) float64 {
	if a == nil || b == nil {
		return math.NaN()
	}
	x, y := a.median(), b.median()
	if y == 0 || math.IsNaN(x) || math.IsNaN(y) {
		return math.NaN()
	}
	return x / y
}

// row is one line of a results table.
type row struct {
	label          string
	scenario, step string
	metric         string
	u              unit
}

type report struct {
	d       *data
	targets []string
	b       bytes.Buffer
}

func (r *report) p(format string, args ...any) { fmt.Fprintf(&r.b, format, args...) }

func (r *report) has(t string) bool { return slices.Contains(r.targets, t) }

// ratioTargets are the servers sockgate's figures are divided by, in column order.
var ratioTargets = []string{TargetNode, TargetZishang, TargetLimit}

// table writes rows with a column per target and a ratio column per other server present.
func (r *report) table(rows []row) {
	// Only the targets with a figure in these rows get a column.
	var targets []string
	for _, t := range r.targets {
		for _, rw := range rows {
			if r.d.get(t, rw.scenario, rw.step, rw.metric) != nil {
				targets = append(targets, t)
				break
			}
		}
	}
	var others []string
	if slices.Contains(targets, TargetSockgate) {
		for _, t := range ratioTargets {
			if slices.Contains(targets, t) {
				others = append(others, t)
			}
		}
	}
	r.p("| | ")
	for _, t := range targets {
		r.p("%s | ", t)
	}
	for _, t := range others {
		r.p("sockgate / %s | ", t)
	}
	r.p("\n|---|")
	for range len(targets) + len(others) {
		r.p("---|")
	}
	r.p("\n")
	for _, rw := range rows {
		r.p("| %s | ", rw.label)
		for _, t := range targets {
			r.p("%s | ", fmtCell(r.d.get(t, rw.scenario, rw.step, rw.metric), rw.u))
		}
		sg := r.d.get(TargetSockgate, rw.scenario, rw.step, rw.metric)
		for _, t := range others {
			r.p("%s | ", fmtNum(ratio(sg, r.d.get(t, rw.scenario, rw.step, rw.metric)), uRatio))
		}
		r.p("\n")
	}
	r.p("\n")
}

// Render builds the report of one run's records.
func Render(recs []Record, notes string) string {
	d := index(recs)
	r := &report{d: d}
	for _, t := range Targets {
		if _, ok := d.cells[t]; ok {
			r.targets = append(r.targets, t)
		}
	}
	r.header()
	r.targetsSection()
	r.idle()
	r.bcast()
	r.ack()
	r.storms()
	r.slow()
	r.polling()
	r.growth()
	r.checks()
	r.failures()
	if strings.TrimSpace(notes) != "" {
		r.p("%s\n", strings.TrimSpace(notes))
	}
	return r.b.String()
}

func (r *report) header() {
	h := r.d.header
	mode := fmt.Sprintf("full run, %d repetitions", r.d.reps)
	if h.Quick {
		mode = "QUICK SMOKE RUN (one repetition, small scenarios): not for comparison"
	}
	r.p("# sockgate benchmarks\n\n")
	r.p("<!-- Generated by `make bench` (bench/runner); edit bench/notes.md, not this file. -->\n\n")
	r.p("Run `%s`, %s, started %s", h.RunID, mode, h.Time.UTC().Format(time.DateTime+" UTC"))
	if r.d.end.Elapsed > 0 {
		r.p(", took %s", (time.Duration(r.d.end.Elapsed) * time.Second).Round(time.Second))
	}
	r.p(".\n\n")
	r.p("Each figure is the median over the repetitions, with the min–max in small type; every\n")
	r.p("repetition ran each scenario on a fresh server process, the servers interleaved.\n")
	r.p("† marks a figure where the generator's core was more than 90 %% busy: the server may be\n")
	r.p("faster than shown, and the CPU-per-operation figures are the fair comparison there.\n")
	r.p("Ratios are sockgate's median over the other server's.\n\n")
	if m := h.Info; m != nil {
		r.p("## Machine\n\n| | |\n|---|---|\n")
		r.p("| CPU | %s, %d cores; servers on core %s, generator on core %s (taskset) |\n", m.CPUModel, m.NumCPU, m.ServerCPU, m.GenCPU)
		r.p("| Memory | %s |\n| Kernel | %s |\n", m.MemTotal, m.Kernel)
		r.p("| Go | %s (GOMAXPROCS=1 from the affinity mask) |\n| Node | %s |\n", m.GoVersion, m.Node)
		var pk []string
		for k, v := range m.Packages {
			pk = append(pk, k+" "+v)
		}
		sort.Strings(pk)
		r.p("| Packages | %s |\n", strings.Join(pk, ", "))
		r.p("| Open files (hard limit) | %d per process |\n", m.NoFileHard)
		var sc []string
		for k, v := range m.Sysctls {
			sc = append(sc, k+" = "+v)
		}
		sort.Strings(sc)
		r.p("| sysctl | %s |\n", strings.Join(sc, "; "))
		quiet := "yes"
		if !m.Quiet {
			quiet = "no: the machine never got below the load threshold, figures may be noisy"
		}
		r.p("| Load average before | %s (quiet: %s) |\n", m.LoadBefore, quiet)
		if e := r.d.end.Info; e != nil {
			r.p("| CPU steal during the run | %.2f %% |\n", e.StealPct)
		}
		r.p("\n")
	}
	r.p("Servers: **sockgate** is a gateway struct registered with `di.Gateway` in an fx app\n")
	r.p("(`bench/servers/sockgate`); **socket.io** is socket.io 4.8 from npm with bufferutil\n")
	r.p("(`bench/node/server.js`); **zishang** is github.com/zishang520/socket.io v3, the Go port of\n")
	r.p("socket.io, in its own Go module (`bench/zishang`); **sockgate-features** is the sockgate server with\n")
	r.p("the features of the chat example that keep state per socket on (`%s`), measured idle only;\n", strings.Join(featureFlags, " "))
	r.p("**limit** is a bare gorilla/websocket server with canned\n")
	r.p("handshakes and one prepared message per broadcast (`bench/limit`). All use pingInterval\n")
	r.p("25 s, pingTimeout 20 s, maxHttpBufferSize 1 MB, no compression, a listen backlog of 4096.\n")
	r.p("The generator (`bench/gen`) speaks raw Engine.IO/Socket.IO frames over its own lean\n")
	r.p("websocket client, spread over eight 127.x.y.z source addresses per run.\n\n")
}

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
		r.p("As (a), with a GET outstanding per session.\n\n")
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
