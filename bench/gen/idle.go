package gen

import (
	"context"
	"fmt"
	"time"

	"github.com/sockgate/sockgate/bench/hist"
	"github.com/sockgate/sockgate/bench/wsclient"
)

// idle opens websocket sessions in steps and reads the server's memory after a GC at
// each; the last result is the per-connection slope.
func (r *run) idle(ctx context.Context) error {
	var p pool
	defer p.closeAll()
	var xs, rss, anon, heap, stack, slab []float64
	opened := 0
	for _, n := range r.o.IdleSteps {
		var lat hist.Histogram
		m := startMeter(r.o.PID)
		fails := openMany(ctx, n-opened, r.o.InFlight, func(int) (*wsclient.Conn, error) {
			return r.cl.openWS(ctx, "")
		}, func(_ int, c *wsclient.Conn, took time.Duration) {
			lat.RecordDuration(took)
			p.add(c, idleRead)
		})
		if err := ctx.Err(); err != nil {
			return err
		}
		res := Result{Scenario: ScenarioIdle, Step: fmt.Sprintf("n=%d", n), Values: map[string]float64{}}
		m.stop(&res, float64(p.len()-opened))
		res.Values["open_per_s"] = round3(float64(p.len()-opened) / res.Values["wall_s"])
		opened = p.len()
		if err := sleep(ctx, r.o.IdleSettle); err != nil {
			return err
		}
		mem, err := serverMem(ctx, r.o.Addr, r.o.PID)
		if err != nil {
			return err
		}
		for k, v := range mem {
			res.Values[k] = v
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
	res := Result{Scenario: ScenarioIdle, Step: "slope", Values: map[string]float64{
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
