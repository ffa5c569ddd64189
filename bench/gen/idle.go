package gen

import (
	"context"
	"strconv"
	"time"

	"github.com/sockgate/sockgate/bench/hist"
	"github.com/sockgate/sockgate/bench/wsclient"
)

// idle opens websocket sessions in steps and reads the server's memory after a GC at
// each; the last result is the per-connection slope.
func (r *run) idle(ctx context.Context) error {
	var p pool[*wsclient.Conn]
	defer p.closeAll()
	return idleSteps(ctx, r, ScenarioIdle, r.o.IdleSteps, r.o.IdleSettle, &p, func() (*wsclient.Conn, error) {
		return r.cl.openWS(ctx, "")
	}, idleRead)
}

// idlePoll is idle with sessions that stay on long-polling, each with a GET outstanding.
func (r *run) idlePoll(ctx context.Context) error {
	var p pool[*pollSession]
	defer p.closeAll()
	return idleSteps(ctx, r, ScenarioIdlePoll, r.o.PollIdleSteps, r.o.PollIdleSettle, &p, func() (*pollSession, error) {
		return r.cl.openPoll(ctx, "")
	}, pollIdleRead(ctx))
}

// idleSteps reads the server's memory before any session (step n=0), then opens
// sessions into p up to each of steps and reads it again, settle later, after a GC. Every step gives
// the memory per session over the first reading (mem_per_conn); the last result is the
// per-session slope over the steps.
func idleSteps[T session](ctx context.Context, r *run, scenario string, steps []int, settle time.Duration, p *pool[T], open func() (T, error), read func(T) error) error {
	var xs, rss, anon, heap, stack, slab []float64
	base, err := serverMem(ctx, r.o.Addr, r.o.PID)
	if err != nil {
		return err
	}
	res0 := Result{Scenario: scenario, Step: "n=0", Values: map[string]float64{"sessions": 0}}
	for k, v := range base {
		res0.Values[k] = v
	}
	if err := r.out.emit(res0); err != nil {
		return err
	}
	opened := 0
	for _, n := range steps {
		var lat hist.Histogram
		m := startMeter(r.o.PID)
		fails := openMany(ctx, n-opened, r.o.InFlight, func(int) (T, error) {
			return open()
		}, func(_ int, c T, took time.Duration) {
			lat.RecordDuration(took)
			p.add(c, read)
		})
		if err := ctx.Err(); err != nil {
			return err
		}
		res := Result{Scenario: scenario, Step: "n=" + strconv.Itoa(n), Values: map[string]float64{}}
		m.stop(&res, float64(p.len()-opened))
		res.Values["open_per_s"] = round3(float64(p.len()-opened) / res.Values["wall_s"])
		opened = p.len()
		if err := sleep(ctx, settle); err != nil {
			return err
		}
		mem, err := serverMem(ctx, r.o.Addr, r.o.PID)
		if err != nil {
			return err
		}
		for k, v := range mem {
			res.Values[k] = v
		}
		if opened > 0 {
			res.Values["mem_per_conn"] = round3((mem["rss"] - base["rss"]) / float64(opened))
			res.Values["heap_per_conn"] = round3((mem["srv_heap"] - base["srv_heap"]) / float64(opened))
		}
		res.Values["sessions"] = float64(opened)
		res.Values["failures"] = float64(fails)
		res.Values["dropped"] = float64(p.dropped.Load())
		s := lat.Summarize()
		res.Latency = &s
		if err := r.out.emit(res); err != nil {
			return err
		}
		r.logf("n=%d rss=%.1f MB", opened, mem["rss"]/1e6)
		xs = append(xs, float64(opened))
		rss = append(rss, mem["rss"])
		anon = append(anon, mem["anon"])
		heap = append(heap, mem["srv_heap"])
		stack = append(stack, mem["srv_stack"])
		slab = append(slab, mem["slab"])
	}
	if r.o.IdleHold > 0 {
		if err := sleep(ctx, r.o.IdleHold); err != nil {
			return err
		}
	}
	res := Result{Scenario: scenario, Step: "slope", Values: map[string]float64{
		"sessions": float64(opened),
		"dropped":  float64(p.dropped.Load()),
		"hold_s":   r.o.IdleHold.Seconds(),
	}}
	_, b, r2 := fit(xs, rss)
	res.Values["rss_per_conn"] = round3(b)
	res.Values["rss_r2"] = round3(r2)
	_, b, _ = fit(xs, anon)
	res.Values["anon_per_conn"] = round3(b)
	_, b, _ = fit(xs, heap)
	res.Values["heap_per_conn"] = round3(b)
	_, b, _ = fit(xs, stack)
	res.Values["stack_per_conn"] = round3(b)
	_, b, _ = fit(xs, slab)
	res.Values["kernel_per_conn"] = round3(b) // slab of both ends, all processes
	return r.out.emit(res)
}
