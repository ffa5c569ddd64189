package gen

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sockgate/sockgate/bench/hist"
	"github.com/sockgate/sockgate/bench/proto"
	"github.com/sockgate/sockgate/bench/wsclient"
)

// ackWait bounds the wait for one acknowledgement.
const ackWait = 10 * time.Second

// ack runs closed loops of echo round trips at each client count, then the open-loop
// step at a fixed rate.
func (r *run) ack(ctx context.Context) error {
	n := 0
	if len(r.o.AckClients) > 0 {
		n = r.o.AckClients[len(r.o.AckClients)-1]
	}
	if r.o.AckFixedRate > 0 {
		n = max(n, r.o.AckFixedClients)
	}
	// The sessions are read only inside steps, by the loops themselves.
	var p pool[*wsclient.Conn]
	defer p.closeAll()
	if err := r.openPool(ctx, &p, n, noRooms, nil); err != nil {
		return err
	}
	conns := p.snapshot()
	if r.o.Warmup > 0 {
		if _, err := r.closedLoop(ctx, conns[:min(100, n)], r.o.Warmup); err != nil {
			return err
		}
	}
	for _, c := range r.o.AckClients {
		res, err := r.closedLoop(ctx, conns[:c], r.o.StepTime)
		if err != nil {
			return err
		}
		res.Step = fmt.Sprintf("c=%d", c)
		r.logf("%s %.0f rtt/s p50=%v p99=%v gen=%.0f%%", res.Step, res.Values["rtt_per_s"],
			time.Duration(res.Latency.P50), time.Duration(res.Latency.P99), 100*res.GenCPU)
		if err := r.out.emit(res); err != nil {
			return err
		}
	}
	if r.o.AckFixedRate > 0 {
		res, err := r.openLoop(ctx, conns[:r.o.AckFixedClients], r.o.AckFixedRate, r.o.StepTime)
		if err != nil {
			return err
		}
		res.Step = fmt.Sprintf("fixed=%d c=%d", r.o.AckFixedRate, r.o.AckFixedClients)
		r.logf("%s %.0f rtt/s p50=%v p99=%v gen=%.0f%%", res.Step, res.Values["rtt_per_s"],
			time.Duration(res.Latency.P50), time.Duration(res.Latency.P99), 100*res.GenCPU)
		if err := r.out.emit(res); err != nil {
			return err
		}
	}
	return nil
}

// closedLoop runs one goroutine per connection, each sending an echo and waiting for its
// ack before the next, for d. Round trips finished after d are not counted.
func (r *run) closedLoop(ctx context.Context, conns []*wsclient.Conn, d time.Duration) (Result, error) {
	var h hist.Histogram
	var stop atomic.Bool
	var wg sync.WaitGroup
	var firstErr atomic.Pointer[error]
	m := startMeter(r.o.PID)
	end := time.Now().Add(d)
	endNs := end.UnixNano()
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.loop(c, &h, &stop, endNs); err != nil {
				firstErr.CompareAndSwap(nil, &err)
				stop.Store(true)
			}
		}()
	}
	_ = sleep(ctx, time.Until(end))
	stop.Store(true)
	wg.Wait()
	if e := firstErr.Load(); e != nil {
		return Result{}, *e
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	res := Result{Scenario: ScenarioAck, Values: map[string]float64{"clients": float64(len(conns))}}
	count := h.Count()
	m.stop(&res, float64(count))
	res.Values["rtt_per_s"] = round3(float64(count) / d.Seconds())
	s := h.Summarize()
	res.Latency = &s
	return res, nil
}

// loop is one closed-loop client.
func (r *run) loop(c *wsclient.Conn, h *hist.Histogram, stop *atomic.Bool, endNs int64) error {
	var buf []byte
	var id uint64
	for !stop.Load() {
		t := time.Now().UnixNano()
		buf = proto.AppendEcho(buf[:0], id, t, r.o.Pad)
		_ = c.TCP().SetReadDeadline(time.Now().Add(ackWait))
		if err := c.WriteText(buf); err != nil {
			return fmt.Errorf("gen: echo: %w", err)
		}
		want := id
		err := readFrames(c, func(p []byte) bool {
			got, _, ok := proto.ParseAck(p)
			return !ok || got != want
		})
		if err != nil {
			return fmt.Errorf("gen: waiting for ack %d: %w", want, err)
		}
		now := time.Now().UnixNano()
		if now <= endNs {
			h.Record(now - t)
		}
		id++
	}
	_ = c.TCP().SetReadDeadline(time.Time{})
	return nil
}

// openLoop sends echoes at a fixed total rate spread over conns, each carrying its
// scheduled time, while one reader per connection records the latency from it.
func (r *run) openLoop(ctx context.Context, conns []*wsclient.Conn, rate int, d time.Duration) (Result, error) {
	var h hist.Histogram
	var got atomic.Int64
	var wg sync.WaitGroup
	count := int(float64(rate) * d.Seconds())
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Ends on the deadline set once everything is sent.
			_ = readFrames(c, func(p []byte) bool {
				if _, args, ok := proto.ParseAck(p); ok {
					if t, ok := proto.ScanT(args); ok {
						h.Record(time.Now().UnixNano() - t)
						got.Add(1)
					}
				}
				return true
			})
		}()
	}
	m := startMeter(r.o.PID)
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	var buf []byte
	var maxLag time.Duration
	var sendErr error
	// Every wake-up sends all the echoes due by then. Each carries the time it is
	// written, not its schedule: the runtime's timers are too coarse for a 100 µs
	// schedule, and the pacing error would be the generator's, not the server's. Falling
	// behind the schedule shows in send_lag_ms instead.
	for k := 0; k < count && sendErr == nil; {
		now := time.Now()
		due := min(int(now.Sub(start)/interval)+1, count)
		if due <= k {
			if err := waitUntil(ctx, start.Add(time.Duration(k)*interval)); err != nil {
				sendErr = err
			}
			continue
		}
		maxLag = max(maxLag, now.Sub(start.Add(time.Duration(k)*interval)))
		for ; k < due && sendErr == nil; k++ {
			buf = proto.AppendEcho(buf[:0], uint64(k), time.Now().UnixNano(), r.o.Pad)
			sendErr = conns[k%len(conns)].WriteText(buf)
		}
	}
	sendEnd := time.Now()
	for deadline := time.Now().Add(ackWait); got.Load() < int64(count) && time.Now().Before(deadline) && sendErr == nil; {
		if err := sleep(ctx, 2*time.Millisecond); err != nil {
			sendErr = err
		}
	}
	res := Result{Scenario: ScenarioAck, Values: map[string]float64{"clients": float64(len(conns)), "rate": float64(rate)}}
	m.stop(&res, float64(got.Load()))
	// Stop the readers: an expired deadline ends their read.
	for _, c := range conns {
		_ = c.TCP().SetReadDeadline(time.Now())
	}
	wg.Wait()
	for _, c := range conns {
		_ = c.TCP().SetReadDeadline(time.Time{})
	}
	if sendErr != nil {
		return Result{}, fmt.Errorf("gen: open loop: %w", sendErr)
	}
	res.Values["rtt_per_s"] = round3(float64(got.Load()) / sendEnd.Sub(start).Seconds())
	res.Values["sent"] = float64(count)
	res.Values["answered_pct"] = round3(100 * float64(got.Load()) / float64(count))
	res.Values["send_lag_ms"] = round3(float64(maxLag) / 1e6)
	s := h.Summarize()
	res.Latency = &s
	return res, nil
}
