package runner

import (
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/sockgate/sockgate/bench/gen"
)

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
