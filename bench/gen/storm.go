package gen

import (
	"context"
	"time"

	"github.com/sockgate/sockgate/bench/hist"
	"github.com/sockgate/sockgate/bench/wsclient"
)

// storm opens sessions as fast as InFlight concurrent openings allow, until
// StormSessions are open or StormTime has passed, and holds them to the end.
func (r *run) storm(ctx context.Context, polling bool) error {
	var lat hist.Histogram
	var p pool[*wsclient.Conn]
	defer p.closeAll()
	sctx, cancel := context.WithTimeout(ctx, r.o.StormTime)
	defer cancel()
	m := startMeter(r.o.PID)
	start := time.Now()
	fails := openMany(sctx, r.o.StormSessions, r.o.InFlight, func(int) (*wsclient.Conn, error) {
		// ctx, not sctx: an opening under way finishes even after the storm's time.
		if polling {
			return r.cl.openPolling(ctx, "")
		}
		return r.cl.openWS(ctx, "")
	}, func(_ int, c *wsclient.Conn, took time.Duration) {
		lat.RecordDuration(took)
		p.add(c, nil)
	})
	elapsed := time.Since(start)
	if err := ctx.Err(); err != nil {
		return err
	}
	name := ScenarioStormWS
	if polling {
		name = ScenarioStormPoll
	}
	done := lat.Count()
	res := Result{Scenario: name, Step: "k=" + itoa(r.o.InFlight), Values: map[string]float64{
		"inflight": float64(r.o.InFlight),
		"sessions": float64(done),
		"failures": float64(fails),
	}}
	m.stop(&res, float64(done))
	res.Values["sessions_per_s"] = round3(float64(done) / elapsed.Seconds())
	s := lat.Summarize()
	res.Latency = &s
	r.logf("%.0f sessions/s, p50=%v p99=%v, %d failures, gen=%.0f%%", res.Values["sessions_per_s"],
		time.Duration(s.P50).Round(time.Microsecond), time.Duration(s.P99).Round(time.Microsecond), fails, 100*res.GenCPU)
	return r.out.emit(res)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for ; n > 0; n /= 10 {
		i--
		b[i] = byte('0' + n%10)
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
