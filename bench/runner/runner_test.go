package runner

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sockgate/sockgate/bench/gen"
	"github.com/sockgate/sockgate/bench/hist"
)

func TestParseArgs(t *testing.T) {
	o, err := ParseArgs(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.Reps != 3 || o.Quick || o.Out != "docs/BENCHMARKS.md" || !o.Check || len(o.Targets) != 5 {
		t.Fatalf("defaults: %+v", o)
	}
	o, err = ParseArgs([]string{"-quick", "-targets", "sockgate,limit", "-scenarios", "idle"})
	if err != nil {
		t.Fatal(err)
	}
	if !o.Quick || o.Reps != 1 || o.Out == "docs/BENCHMARKS.md" || !slices.Equal(o.Targets, []string{"sockgate", "limit"}) ||
		!slices.Equal(o.Scenarios, []string{"idle"}) {
		t.Fatalf("quick: %+v", o)
	}
	// An explicit flag wins over the quick defaults.
	if o, err = ParseArgs([]string{"-reps", "2", "-quick"}); err != nil || o.Reps != 2 {
		t.Fatalf("explicit reps with quick: %d, %v", o.Reps, err)
	}
	for _, bad := range [][]string{
		{"-reps", "0"}, {"-targets", "nginx"}, {"-scenarios", "nope"}, {"-port", "40000"},
		{"-targets", ""}, {"extra"}, {"-nonsense"},
	} {
		if _, err := ParseArgs(bad); err == nil {
			t.Errorf("ParseArgs(%q) accepted", bad)
		}
	}
}

func TestSupports(t *testing.T) {
	for _, sc := range gen.Scenarios {
		poll := slices.Contains(gen.PollingScenarios, sc)
		for _, tg := range Targets {
			want := !(poll && tg == TargetLimit) && (tg != TargetFeatures || sc == gen.ScenarioIdle)
			if got := supports(tg, sc); got != want {
				t.Errorf("supports(%s, %s) = %v", tg, sc, got)
			}
		}
	}
}

func TestRotateAndSlot(t *testing.T) {
	tg := []string{"a", "b", "c"}
	for rep, want := range [][]string{{"a", "b", "c"}, {"b", "c", "a"}, {"c", "a", "b"}, {"a", "b", "c"}} {
		if got := rotate(tg, rep); !slices.Equal(got, want) {
			t.Errorf("rotate(%d) = %v, want %v", rep, got, want)
		}
	}
	r := &runner{o: Options{PortBase: 31000}}
	seen := map[string]bool{}
	for i := 0; i < 600; i++ {
		port, src := r.slot()
		if port != 31000+i {
			t.Fatalf("run %d: port %d", i, port)
		}
		if seen[src] {
			t.Fatalf("run %d: source block %s reused", i, src)
		}
		seen[src] = true
	}
	r.seq = 0
	if _, src := r.slot(); src != "127.1.0.1-127.1.0.8" {
		t.Fatalf("first block %s", src)
	}
}

func summary(p50, p99 time.Duration) *hist.Summary {
	return &hist.Summary{Count: 100, P50: int64(p50), P99: int64(p99), P999: int64(p99), Max: int64(p99)}
}

// fakeRun is a small run: two repetitions of idle, ack and one broadcast room, plus a check.
func fakeRun() []Record {
	recs := []Record{{Kind: KindRun, RunID: "test", Time: time.Unix(0, 0), Info: &Machine{CPUModel: "cpu", NumCPU: 2, Quiet: true, Packages: map[string]string{"npm ws": "8"}}}}
	res := func(rep int, target string, r gen.Result) Record {
		return Record{Kind: KindResult, Rep: rep, Target: target, Scenario: r.Scenario, Result: &r}
	}
	for rep := 0; rep < 2; rep++ {
		f := float64(rep)
		for _, tc := range []struct {
			target           string
			mem, rtt, maxOK  float64
			p99, user, storm float64
		}{
			{TargetSockgate, 5000 + f, 60000 + f, 60000, 5, 1, 4000},
			{TargetNode, 12000 + f, 15000, 40000, 30, 5, 1000},
			{TargetLimit, 4000, 100000, 70000, 2, 0.5, 5000},
			{TargetZishang, 40000, 20000, 20000, 20, 10, 2000},
		} {
			recs = append(recs,
				res(rep, tc.target, gen.Result{Scenario: gen.ScenarioIdle, Step: "slope", Values: map[string]float64{"rss_per_conn": tc.mem}}),
				res(rep, tc.target, gen.Result{Scenario: gen.ScenarioIdle, Step: "n=2000", Values: map[string]float64{"rss": 100 * tc.mem}}),
				res(rep, tc.target, gen.Result{Scenario: gen.ScenarioAck, Step: "c=100", Values: map[string]float64{"rtt_per_s": tc.rtt},
					Latency: summary(time.Millisecond, time.Duration(tc.p99*float64(time.Millisecond))), GenBound: tc.target == TargetSockgate}),
				res(rep, tc.target, gen.Result{Scenario: gen.ScenarioBcast, Step: "room=1000 summary", Values: map[string]float64{"max_ok_rate": tc.maxOK}}),
				res(rep, tc.target, gen.Result{Scenario: gen.ScenarioBcast, Step: "room=1000 rate=20000", Values: map[string]float64{"srv_user_us_op": tc.user, "delivered_pct": 100},
					Latency: summary(time.Millisecond, 10*time.Millisecond)}),
				res(rep, tc.target, gen.Result{Scenario: gen.ScenarioStormWS, Step: "k=200", Values: map[string]float64{"sessions_per_s": tc.storm}}),
				res(rep, tc.target, gen.Result{Scenario: gen.ScenarioIdle, Step: "n=1000", Values: map[string]float64{"mem_per_conn": tc.mem + 500}}),
			)
			if tc.target == TargetLimit {
				continue // no polling scenarios
			}
			recs = append(recs,
				res(rep, tc.target, gen.Result{Scenario: gen.ScenarioIdlePoll, Step: "slope", Values: map[string]float64{"rss_per_conn": 3 * tc.mem}}),
				res(rep, tc.target, gen.Result{Scenario: gen.ScenarioAckPoll, Step: "c=100", Values: map[string]float64{"rtt_per_s": tc.rtt / 4},
					Latency: summary(time.Millisecond, time.Duration(tc.p99*float64(time.Millisecond)))}),
				res(rep, tc.target, gen.Result{Scenario: gen.ScenarioBcastPoll, Step: "room=1000 summary", Values: map[string]float64{"max_ok_rate": tc.maxOK / 4}}),
			)
		}
	}
	for _, c := range []string{ClientGenerator, ClientOfficial} {
		v := 1000.0
		if c == ClientOfficial {
			v = 1050
		}
		recs = append(recs, Record{Kind: KindValidate, Target: TargetSockgate, Scenario: "ack", Client: c,
			Result: &gen.Result{Scenario: gen.ScenarioAck, Values: map[string]float64{"rtt_per_s": v}}})
	}
	recs = append(recs, Record{Kind: KindResult, Target: TargetFeatures, Result: &gen.Result{Scenario: gen.ScenarioIdle, Step: "slope", Values: map[string]float64{"rss_per_conn": 4400}}})
	recs = append(recs, Record{Kind: KindFailure, Rep: 1, Target: TargetNode, Scenario: gen.ScenarioSlow, Error: "boom | bang"})
	return recs
}

func TestRender(t *testing.T) {
	md := Render(fakeRun(), "## Notes\n\nhand-written")
	for _, want := range []string{
		"# sockgate benchmarks",
		"full run, 2 repetitions",
		"| idle memory per connection ≤ 6,000 B (RSS slope after GC) | 5,001 B | yes |", // median of 5000 and 5001
		"| idle memory ≤ ½ socket.io's | ratio 0.42 | yes |",
		"60,001 vs 15,000/s: 4.00× (generator-bound †)",
		"| acks, 100 clients: p99 ≤ ⅓ socket.io's | 5.00 ms vs 30.0 ms: 0.17× (generator-bound †) | yes |",
		"60,000 vs 40,000 deliveries/s: 1.50× | yes |",
		"60,000 vs 70,000 deliveries/s: 0.86× | yes |",
		"| connect storm over websocket: sessions/s ≥ 2.5× socket.io's | 4,000 vs 1,000/s: 4.00× | yes |",
		"| RSS per connection | 5,001 B <sub>5,000–5,001</sub> |",
		// one ratio column per other server, in the order socket.io, zishang, limit
		"| | sockgate | socket.io | zishang | limit | sockgate-features | sockgate / socket.io | sockgate / zishang | sockgate / limit |",
		"| 5,001 B <sub>5,000–5,001</sub> | 12,001 B <sub>12,000–12,001</sub> | 40,000 B <sub>40,000–40,000</sub> | 4,000 B <sub>4,000–4,000</sub> | 4,400 B | 0.42 | 0.13 | 1.25 |",
		// a target without figures in a table gets no column there
		"| | sockgate | socket.io | zishang | limit | sockgate / socket.io | sockgate / zishang | sockgate / limit |",
		"| sockgate | ack | round trips/s (fixed 2,000/s, 20 clients) | 1,000 | 1,050 | -4.8 % | yes |",
		"| 2 | slow | socket.io | boom \\| bang |",
		"| polling: memory per idle session ≤ ½ socket.io's | 15,002 B vs 36,002 B: ratio 0.42 | yes |",
		"| acks over polling, 100 clients: round trips/s ≥ 2× socket.io's | 15,000 vs 3,750/s: 4.00× | yes |",
		"| acks over polling, 100 clients: p99 ≤ socket.io's (at that rate) | 5.00 ms vs 30.0 ms: 0.17× | yes |",
		"| broadcast to 1,000 polling sessions: highest rate with p99 < 100 ms ≥ 2× socket.io's | 15,000 vs 10,000 deliveries/s: 1.50× | **no** |",
		"## (f) Sessions kept on long-polling",
		"| idle memory per connection with the chat example's features (-rate 100/m,burst=100 -recovery 2m -metrics) ≤ 4,500 B | 4,400 B (without them: 5,001 B) | yes |",
		"| RSS per session | 15,002 B <sub>15,000–15,003</sub> | 36,002 B <sub>36,000–36,003</sub> | 120,000 B <sub>120,000–120,000</sub> | 0.42 | 0.13 |",
		"## (g) Cost as the work grows",
		"| RSS per connection, 1,000 idle connections | 5,501 B <sub>5,500–5,501</sub> |",
		"| user CPU per delivery, room of 1,000 at 20k/s | 1.00 µs <sub>1.00–1.00</sub> |",
		"hand-written",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(md)
	}
}

func TestRenderQuickAndMissingTargets(t *testing.T) {
	recs := []Record{{Kind: KindRun, Quick: true}, {Kind: KindResult, Target: TargetNode, Result: &gen.Result{Scenario: gen.ScenarioIdle, Step: "slope", Values: map[string]float64{"rss_per_conn": 1}}}}
	md := Render(recs, "")
	if !strings.Contains(md, "QUICK SMOKE RUN") || strings.Contains(md, "## Targets") || strings.Contains(md, "sockgate / socket.io") {
		t.Fatalf("quick report without sockgate:\n%s", md)
	}
}

func TestRecordsRoundTripAndWriteReport(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.jsonl")
	old := []Record{{Kind: KindRun, RunID: "old"}, {Kind: KindResult, Target: TargetLimit, Result: &gen.Result{Scenario: gen.ScenarioIdle, Step: "slope", Values: map[string]float64{"rss_per_conn": 99}}}}
	if err := appendRecords(path, old...); err != nil {
		t.Fatal(err)
	}
	if err := appendRecords(path, fakeRun()...); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	recs, err := ReadRecords(bytes.NewReader(b))
	if err != nil || len(recs) != len(old)+len(fakeRun()) {
		t.Fatalf("read %d records, %v", len(recs), err)
	}
	notes := filepath.Join(dir, "notes.md")
	if err := os.WriteFile(notes, []byte("my notes"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.md")
	if err := WriteReport(path, out, notes); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(out)
	// Only the last run is reported.
	if !strings.Contains(string(md), "my notes") || strings.Contains(string(md), "| 99 B") || !strings.Contains(string(md), "Run `test`") {
		t.Fatalf("report:\n%s", md)
	}
	if _, err := ReadRecords(strings.NewReader("{not json\n")); err == nil {
		t.Fatal("ReadRecords accepted garbage")
	}
	if err := WriteReport(filepath.Join(dir, "none.jsonl"), out, ""); err == nil {
		t.Fatal("WriteReport without results succeeded")
	}
}

func TestFormatting(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		u    unit
		want string
	}{
		{1234567, uBytes, "1,234,567 B"}, {-1234, uCount, "-1,234"}, {0.1234, uMs, "0.123 ms"},
		{12.34, uUs, "12.3 µs"}, {0.5, uShare, "50 %"}, {99.991, uPct, "99.99 %"}, {1.5, uRatio, "1.50"},
		{7, uCount, "7"}, {7.5, uCount, "7.50"},
	} {
		if got := fmtNum(tc.v, tc.u); got != tc.want {
			t.Errorf("fmtNum(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
	c := &cell{vals: []float64{3, 1, 2, 10}}
	if c.median() != 2.5 {
		t.Fatalf("median %v", c.median())
	}
	if rateOf("room=1000 rate=70000 (refine)") != 70000 || firstNumber("n=12000") != 12000 || firstNumber("slope") != -1 {
		t.Fatal("step number parsing")
	}
}
