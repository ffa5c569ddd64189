package gen

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/sockgate/sockgate/bench/wsclient"
)

// slow measures a broadcast room before and after one receiver stops reading: the other
// receivers' latency, and the server's memory.
func (r *run) slow(ctx context.Context) error {
	const room = "slow"
	var f fanout
	var p pool[*wsclient.Conn]
	defer p.closeAll()
	// Receiver 0 is the slow one: a small receive buffer, and a reader that can stall.
	slowCl := &client{addr: r.cl.addr, path: r.cl.path, dialer: &wsclient.Dialer{
		Sources: r.cl.dialer.Sources, RecvBuffer: r.o.SlowRecvBuffer,
	}}
	slowConn, err := slowCl.openWS(ctx, room)
	if err != nil {
		return err
	}
	stall := make(chan struct{})
	resume := make(chan struct{})
	var stalled atomic.Bool
	var slowGot atomic.Int64
	slowEnded := make(chan error, 1)
	p.add(slowConn, func(c *wsclient.Conn) error {
		err := readFrames(c, func([]byte) bool {
			slowGot.Add(1)
			select {
			case <-stall:
				stalled.Store(true)
				<-resume
			default:
			}
			return true
		})
		slowEnded <- err
		return err
	})
	if err := r.openPool(ctx, &p, r.o.SlowRoom-1, func(int) string { return room }, f.receiver); err != nil {
		return err
	}
	sender, err := r.cl.openWS(ctx, "")
	if err != nil {
		return err
	}
	p.add(sender, idleRead)
	// The slow receiver's deliveries are not recorded: the step counts the others'.
	others := r.o.SlowRoom - 1
	phase := func(name string, d time.Duration) (Result, error) {
		res, err := r.step(ctx, &f, sender, room, others, r.o.SlowRate, d, 1, r.o.SlowPad, r.o.Drain)
		if err != nil {
			return Result{}, err
		}
		res.Scenario = ScenarioSlow
		res.Step = name
		mem, err := serverMem(ctx, r.o.Addr, r.o.PID)
		if err != nil {
			return Result{}, err
		}
		res.Values["rss"] = mem["rss"]
		res.Values["srv_heap"] = mem["srv_heap"]
		return res.Result, nil
	}
	if r.o.Warmup > 0 {
		if _, err := r.step(ctx, &f, sender, room, others, r.o.SlowRate, r.o.Warmup, 1, r.o.SlowPad, r.o.Drain); err != nil {
			return err
		}
	}
	before, err := phase("all reading", r.o.SlowPhase)
	if err != nil {
		return err
	}
	close(stall)
	after, err := phase("one stalled", 2*r.o.SlowPhase)
	if err != nil {
		return err
	}
	close(resume)
	// Did the server give up on the slow receiver? It either closes it or, after the
	// stall, delivers everything; give it a moment to do either.
	disconnected := 0.0
	select {
	case <-slowEnded:
		disconnected = 1
	case <-time.After(time.Second):
	}
	after.Values["slow_disconnected"] = disconnected
	after.Values["slow_received"] = float64(slowGot.Load())
	after.Values["slow_stalled"] = b2f(stalled.Load())
	after.Values["rss_growth"] = after.Values["rss"] - before.Values["rss"]
	after.Values["p99_ratio"] = round3(float64(after.Latency.P99) / float64(max(before.Latency.P99, 1)))
	for _, res := range []Result{before, after} {
		r.logf("%s: p99=%v delivered=%.2f%% rss=%.1f MB", res.Step, time.Duration(res.Latency.P99).Round(time.Microsecond),
			res.Values["delivered_pct"], res.Values["rss"]/1e6)
		if err := r.out.emit(res); err != nil {
			return err
		}
	}
	if r.o.PID > 0 && before.Values["rss"] == 0 {
		return fmt.Errorf("gen: no RSS reading for pid %d", r.o.PID)
	}
	return nil
}
