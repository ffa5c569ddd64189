package hist

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// subBits sets the precision: every power-of-two range is split into 2^subBits buckets, so
// a bucket is at most 1/2^(subBits-1) of its values wide (about 3 %, about 1.6 % either
// side of its midpoint).
const subBits = 6

const (
	subCount   = 1 << subBits
	halfCount  = subCount / 2
	maxExp     = 64 - subBits + 1
	numBuckets = subCount + (maxExp-1)*halfCount
)

// Histogram counts non-negative int64 values (nanoseconds, by convention). The zero value
// is ready to use.
type Histogram struct {
	counts [numBuckets]atomic.Uint64
	total  atomic.Uint64
	sum    atomic.Uint64 // saturates rather than wraps; only for Mean
	max    atomic.Int64
}

// index returns the bucket of v (v >= 0). Values below subCount have a bucket each; above,
// each power of two [2^e, 2^(e+1)) holds halfCount buckets.
func index(v uint64) int {
	if v < subCount {
		return int(v)
	}
	e := bits.Len64(v) - subBits // >= 1
	return subCount + (e-1)*halfCount + int(v>>uint(e)) - halfCount
}

// lowest returns the smallest value of bucket i.
func lowest(i int) uint64 {
	if i < subCount {
		return uint64(i)
	}
	e := (i-subCount)/halfCount + 1
	m := uint64((i-subCount)%halfCount + halfCount)
	return m << uint(e)
}

// width returns the number of values bucket i covers.
func width(i int) uint64 {
	if i < subCount {
		return 1
	}
	return 1 << uint((i-subCount)/halfCount+1)
}

// Record adds one value. Negative values count as zero (a clock step between processes
// must not corrupt the histogram).
func (h *Histogram) Record(v int64) {
	if v < 0 {
		v = 0
	}
	h.counts[index(uint64(v))].Add(1)
	h.total.Add(1)
	if s := h.sum.Add(uint64(v)); s < uint64(v) {
		h.sum.Store(math.MaxUint64)
	}
	for {
		m := h.max.Load()
		if v <= m || h.max.CompareAndSwap(m, v) {
			return
		}
	}
}

// RecordDuration records d in nanoseconds.
func (h *Histogram) RecordDuration(d time.Duration) { h.Record(int64(d)) }

// Count returns the number of values recorded.
func (h *Histogram) Count() uint64 { return h.total.Load() }

// Max returns the largest value recorded, or 0.
func (h *Histogram) Max() int64 { return h.max.Load() }

// Mean returns the mean of the values recorded, or 0.
func (h *Histogram) Mean() float64 {
	n := h.total.Load()
	if n == 0 {
		return 0
	}
	return float64(h.sum.Load()) / float64(n)
}

// Quantile returns the value at quantile q (0 < q <= 1): the midpoint of the bucket holding
// the ceil(q*n)-th smallest value, capped by the maximum. It returns 0 for an empty
// histogram.
func (h *Histogram) Quantile(q float64) int64 {
	n := h.total.Load()
	if n == 0 {
		return 0
	}
	q = min(max(q, 0), 1)
	rank := uint64(math.Ceil(q * float64(n)))
	if rank == 0 {
		rank = 1
	}
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			v := int64(lowest(i) + (width(i)-1)/2)
			return min(v, h.max.Load())
		}
	}
	return h.max.Load()
}

// Merge adds the counts of o into h.
func (h *Histogram) Merge(o *Histogram) {
	for i := range o.counts {
		if c := o.counts[i].Load(); c != 0 {
			h.counts[i].Add(c)
		}
	}
	h.total.Add(o.total.Load())
	if s := h.sum.Add(o.sum.Load()); s < o.sum.Load() {
		h.sum.Store(math.MaxUint64)
	}
	for {
		m, om := h.max.Load(), o.max.Load()
		if om <= m || h.max.CompareAndSwap(m, om) {
			return
		}
	}
}

// Reset empties h. It must not run concurrently with Record.
func (h *Histogram) Reset() {
	for i := range h.counts {
		h.counts[i].Store(0)
	}
	h.total.Store(0)
	h.sum.Store(0)
	h.max.Store(0)
}

// Summary is the part of a histogram a report needs, in nanoseconds.
type Summary struct {
	Count uint64  `json:"count"`
	Mean  float64 `json:"mean_ns"`
	P50   int64   `json:"p50_ns"`
	P90   int64   `json:"p90_ns"`
	P99   int64   `json:"p99_ns"`
	P999  int64   `json:"p999_ns"`
	Max   int64   `json:"max_ns"`
}

// Summarize returns the count, mean, p50, p90, p99, p99.9 and max of h.
func (h *Histogram) Summarize() Summary {
	return Summary{
		Count: h.Count(),
		Mean:  h.Mean(),
		P50:   h.Quantile(0.50),
		P90:   h.Quantile(0.90),
		P99:   h.Quantile(0.99),
		P999:  h.Quantile(0.999),
		Max:   h.Max(),
	}
}
