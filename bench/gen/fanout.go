package gen

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sockgate/sockgate/bench/hist"
	"github.com/sockgate/sockgate/bench/proto"
	"github.com/sockgate/sockgate/bench/wsclient"
)

// stepState is what receivers record into during one broadcast step.
type stepState struct {
	tStart   int64 // scheduled time of the step's first send
	h        hist.Histogram
	received atomic.Int64
	lastNs   atomic.Int64 // arrival of the latest delivery
}

// fanout holds the receivers' shared state: the current step.
type fanout struct {
	cur   atomic.Pointer[stepState]
	stale atomic.Int64 // deliveries of an earlier step that came after it ended
}

// record counts one delivery of a "m" event.
func (f *fanout) record(p []byte) {
	if !proto.IsEvent(p, "m") {
		return
	}
	t, ok := proto.ScanT(p)
	if !ok {
		return
	}
	now := time.Now().UnixNano()
	st := f.cur.Load()
	if st == nil || t < st.tStart {
		f.stale.Add(1)
		return
	}
	st.h.Record(now - t)
	st.received.Add(1)
	st.lastNs.Store(now)
}

// receiver reads a session, recording every delivery.
func (f *fanout) receiver(c *wsclient.Conn) error {
	return readFrames(c, func(p []byte) bool {
		f.record(p)
		return true
	})
}

// stepResult is a broadcast step's outcome.
type stepResult struct {
	Result
	p99       time.Duration
	delivered float64 // percent
}

// step sends broadcasts to room at rate deliveries/s (recipients per broadcast given)
// for at least dur and at least minBcasts broadcasts, then waits for the deliveries
// until drain passes.
func (r *run) step(ctx context.Context, f *fanout, sender *wsclient.Conn, room string, recipients, rate int, dur time.Duration, minBcasts, pad int, drain time.Duration) (stepResult, error) {
	perSec := float64(rate) / float64(recipients)
	count := max(int(math.Round(perSec*dur.Seconds())), minBcasts)
	interval := time.Duration(float64(time.Second) / perSec)
	m := startMeter(r.o.PID)
	start := time.Now().Add(time.Millisecond)
	// Node relays t as a JavaScript number, rounded to a multiple of 256 ns at today's
	// UnixNano: a microsecond of slack keeps a step's first broadcast in the step.
	st := &stepState{tStart: start.UnixNano() - int64(time.Microsecond)}
	f.cur.Store(st)
	var buf []byte
	var maxLag time.Duration
	for k := 0; k < count; k++ {
		sched := start.Add(time.Duration(k) * interval)
		if err := waitUntil(ctx, sched); err != nil {
			return stepResult{}, err
		}
		maxLag = max(maxLag, time.Since(sched))
		buf = proto.AppendBcast(buf[:0], room, sched.UnixNano(), pad)
		if err := sender.WriteText(buf); err != nil {
			return stepResult{}, fmt.Errorf("gen: sender: %w", err)
		}
	}
	sendEnd := time.Now()
	expected := int64(count) * int64(recipients)
	for deadline := time.Now().Add(drain); st.received.Load() < expected && time.Now().Before(deadline); {
		if err := sleep(ctx, 5*time.Millisecond); err != nil {
			return stepResult{}, err
		}
	}
	got := st.received.Load()
	res := stepResult{Result: Result{Scenario: ScenarioBcast, Values: map[string]float64{}}}
	m.stop(&res.Result, float64(got))
	last := time.Unix(0, st.lastNs.Load())
	span := last.Sub(start)
	if got == 0 || span <= 0 {
		span = sendEnd.Sub(start)
	}
	res.delivered = 100 * float64(got) / float64(expected)
	s := st.h.Summarize()
	res.Latency = &s
	res.p99 = time.Duration(s.P99)
	if got < expected {
		// Undelivered messages count as infinitely late.
		res.p99 = time.Duration(math.MaxInt64)
		if float64(got) >= 0.99*float64(expected) {
			res.p99 = time.Duration(s.Max)
		}
	}
	v := res.Values
	v["room"] = float64(recipients)
	v["rate"] = float64(rate)
	v["bcasts"] = float64(count)
	v["expected"] = float64(expected)
	v["received"] = float64(got)
	v["delivered_pct"] = round3(res.delivered)
	v["deliveries_per_s"] = round3(float64(got) / span.Seconds())
	v["send_lag_ms"] = round3(float64(maxLag) / 1e6)
	v["stale"] = float64(f.stale.Load())
	if behind := sendEnd.Sub(start.Add(time.Duration(count-1) * interval)); behind > interval+50*time.Millisecond {
		res.Note = "sender behind schedule by " + behind.Round(time.Millisecond).String()
		if res.GenCPU > genBusyLimit {
			res.GenBound = true
		}
	}
	return res, nil
}

// waitUntil sleeps until t. It never spins: a spinning goroutine would keep the
// scheduler from polling the network, delaying every receiver. The runtime's timers are
// about a millisecond coarse when the process is otherwise idle; open-loop senders stamp
// the scheduled time, so lateness shows in the latency rather than hiding.
func waitUntil(ctx context.Context, t time.Time) error {
	if d := time.Until(t); d > 0 {
		return sleep(ctx, d)
	}
	return nil
}

// roomName is the room of the receivers of a room size.
func roomName(size int) string { return "r" + strconv.Itoa(size) }

// roomsFor lists the rooms receiver i joins: every room bigger than i.
func roomsFor(sizes []int) func(i int) string {
	return func(i int) string {
		var names []string
		for _, s := range sizes {
			if i < s {
				names = append(names, roomName(s))
			}
		}
		return strings.Join(names, ",")
	}
}

// cpuRate is the step whose server CPU per delivery the report compares.
const cpuRate = 20000

// Thresholds of the broadcast ladder.
const (
	okP99         = 100 * time.Millisecond // a step passes below this p99 ...
	okDelivered   = 99.9                   // ... with at least this share delivered
	stopP99       = time.Second            // a room's ladder stops above this p99 ...
	stopDelivered = 99.0                   // ... or below this share
	keepGoing     = 40000                  // ... or on a failed step at or above this rate
)

// bcast runs the broadcast ladder for every room size on one set of receivers.
func (r *run) bcast(ctx context.Context) error {
	var f fanout
	var p pool[*wsclient.Conn]
	defer p.closeAll()
	n := r.o.Rooms[len(r.o.Rooms)-1]
	if err := r.openPool(ctx, &p, n, roomsFor(r.o.Rooms), f.receiver); err != nil {
		return err
	}
	sender, err := r.cl.openWS(ctx, "")
	if err != nil {
		return err
	}
	p.add(sender, idleRead)
	if r.o.Warmup > 0 {
		if _, err := r.step(ctx, &f, sender, roomName(r.o.Rooms[0]), r.o.Rooms[0], r.o.Rates[0], r.o.Warmup, 1, r.o.Pad, r.o.Drain); err != nil {
			return err
		}
	}
	for _, size := range r.o.Rooms {
		if err := r.ladder(ctx, ScenarioBcast, &f, sender, roomName(size), size, r.o.Rates, p.dropped.Load); err != nil {
			return err
		}
		// Let a backlog of the last step clear before the next room.
		if err := sleep(ctx, 500*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

// ladder runs the rising rates against one room of size receivers, refines the highest
// passing rate, and emits the room's summary; dropped counts the receivers lost so far.
func (r *run) ladder(ctx context.Context, scenario string, f *fanout, sender *wsclient.Conn, room string, size int, rates []int, dropped func() int64) error {
	var pass, fail int
	p99At := map[int]time.Duration{}
	run := func(rate int, label string) (stepResult, error) {
		d := r.o.StepTime
		if rate == cpuRate {
			d = max(d, r.o.CPUStep) // its CPU per delivery is reported: more ticks to count
		}
		res, err := r.step(ctx, f, sender, room, size, rate, d, r.o.MinBcasts, r.o.Pad, r.o.Drain)
		if err != nil {
			return res, err
		}
		res.Scenario = scenario
		res.Step = fmt.Sprintf("room=%d rate=%d%s", size, rate, label)
		res.Values["dropped"] = float64(dropped())
		ok := res.p99 <= okP99 && res.delivered >= okDelivered
		res.Values["ok"] = b2f(ok)
		if ok && rate > pass {
			pass = rate
		}
		if !ok && (fail == 0 || rate < fail) {
			fail = rate
		}
		p99At[rate] = res.p99
		r.logf("%s p99=%v delivered=%.2f%% gen=%.0f%%", res.Step, time.Duration(res.Latency.P99).Round(time.Microsecond), res.delivered, 100*res.GenCPU)
		return res, r.out.emit(res.Result)
	}
	for _, rate := range rates {
		res, err := run(rate, "")
		if err != nil {
			return err
		}
		if res.p99 > stopP99 || res.delivered < stopDelivered || (res.Values["ok"] == 0 && rate >= keepGoing) {
			break
		}
	}
	if pass > 0 && fail > pass {
		if mid := (pass + fail) / 2000 * 1000; mid > pass && mid < fail {
			if _, err := run(mid, " (refine)"); err != nil {
				return err
			}
		}
	}
	sum := Result{Scenario: scenario, Step: fmt.Sprintf("room=%d summary", size), Values: map[string]float64{
		"room":        float64(size),
		"max_ok_rate": float64(pass),
	}}
	for _, at := range []int{cpuRate, 40000} {
		if d, ok := p99At[at]; ok {
			sum.Values["p99_ms_at_"+strconv.Itoa(at/1000)+"k"] = round3(float64(min(d, time.Hour)) / 1e6)
		}
	}
	return r.out.emit(sum)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
