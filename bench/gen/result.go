package gen

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/sockgate/sockgate/bench/hist"
	"github.com/sockgate/sockgate/bench/procfs"
)

// Result is one measured step.
type Result struct {
	Scenario string             `json:"scenario"`
	Step     string             `json:"step"`
	Values   map[string]float64 `json:"values"`
	Latency  *hist.Summary      `json:"latency,omitempty"`
	GenCPU   float64            `json:"gen_cpu"` // the generator's busy share of one core
	GenBound bool               `json:"gen_bound,omitempty"`
	Note     string             `json:"note,omitempty"`
}

// genBusyLimit is the generator CPU share above which a step is flagged.
const genBusyLimit = 0.9

// emitter writes results as JSON lines.
type emitter struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func newEmitter(w io.Writer) *emitter { return &emitter{enc: json.NewEncoder(w)} }

func (e *emitter) emit(r Result) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.enc.Encode(r); err != nil {
		return fmt.Errorf("gen: writing result: %w", err)
	}
	return nil
}

// meter measures one step: wall time, the server's CPU and the generator's own CPU.
type meter struct {
	pid      int
	start    time.Time
	srv, gen procfs.CPU
	srvRun   time.Duration // the server's time on CPU, to the nanosecond
}

func startMeter(pid int) meter {
	m := meter{pid: pid, start: time.Now()}
	if pid > 0 {
		m.srv, _ = procfs.ReadCPU(pid)
		m.srvRun, _ = procfs.ReadOnCPU(pid)
	}
	m.gen, _ = procfs.ReadCPU(0)
	return m
}

// stop fills r's CPU figures; ops is the number of operations the server did (deliveries,
// round trips, sessions), for the per-operation costs in microseconds.
func (m meter) stop(r *Result, ops float64) {
	wall := time.Since(m.start)
	gen, _ := procfs.ReadCPU(0)
	r.GenCPU = round3(float64(gen.Sub(m.gen).Total()) / float64(wall))
	if r.GenCPU > genBusyLimit {
		r.GenBound = true
	}
	if r.Values == nil {
		r.Values = map[string]float64{}
	}
	r.Values["wall_s"] = round3(wall.Seconds())
	if m.pid > 0 {
		srv, err := procfs.ReadCPU(m.pid)
		if err == nil {
			d := srv.Sub(m.srv)
			r.Values["srv_cpu"] = round3(float64(d.Total()) / float64(wall))
			if ops > 0 {
				r.Values["srv_user_us_op"] = round3(float64(d.User) / 1e3 / ops)
				r.Values["srv_sys_us_op"] = round3(float64(d.Sys) / 1e3 / ops)
				if run, err := procfs.ReadOnCPU(m.pid); err == nil {
					r.Values["srv_cpu_us_op"] = round3(float64(run-m.srvRun) / 1e3 / ops)
				}
			}
		}
	}
}

func round3(v float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 6, 64), 64)
	return f
}

// serverMem asks the server to collect garbage and report its own counters (GET
// /__bench/mem), then reads its RSS from /proc. Counters come prefixed "srv_".
func serverMem(ctx context.Context, addr string, pid int) (map[string]float64, error) {
	out := map[string]float64{}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/__bench/mem", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("gen: /__bench/mem: %w", err)
	}
	defer resp.Body.Close()
	var counters map[string]float64
	if err := json.NewDecoder(resp.Body).Decode(&counters); err != nil {
		return nil, fmt.Errorf("gen: /__bench/mem: %w", err)
	}
	for k, v := range counters {
		out["srv_"+k] = v
	}
	if pid > 0 {
		m, err := procfs.ReadMem(pid)
		if err != nil {
			return nil, err
		}
		out["rss"] = float64(m.RSS)
		out["anon"] = float64(m.Anon)
	}
	if slab, err := procfs.ReadSlab(); err == nil {
		out["slab"] = float64(slab)
	}
	if pages, err := procfs.ReadTCPMemPages(); err == nil {
		out["tcp_mem_pages"] = float64(pages)
	}
	return out, nil
}

// fit returns the least-squares line y = a + b*x and its R².
func fit(x, y []float64) (a, b, r2 float64) {
	n := float64(len(x))
	if len(x) < 2 || len(x) != len(y) {
		return 0, 0, 0
	}
	var sx, sy, sxx, sxy, syy float64
	for i := range x {
		sx += x[i]
		sy += y[i]
		sxx += x[i] * x[i]
		sxy += x[i] * y[i]
		syy += y[i] * y[i]
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return 0, 0, 0
	}
	b = (n*sxy - sx*sy) / den
	a = (sy - b*sx) / n
	ssTot := syy - sy*sy/n
	if ssTot == 0 {
		return a, b, 1
	}
	var ssRes float64
	for i := range x {
		d := y[i] - (a + b*x[i])
		ssRes += d * d
	}
	return a, b, 1 - ssRes/ssTot
}
