package hist

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

func TestIndexRoundTrip(t *testing.T) {
	// Every bucket's lowest value maps back to it, and buckets tile the number line.
	for i := 0; i < numBuckets; i++ {
		lo := lowest(i)
		if got := index(lo); got != i {
			t.Fatalf("index(lowest(%d)=%d) = %d", i, lo, got)
		}
		if i+1 < numBuckets && lowest(i)+width(i) != lowest(i+1) {
			t.Fatalf("bucket %d [%d,+%d) does not end where %d starts (%d)", i, lo, width(i), i+1, lowest(i+1))
		}
	}
	if got := index(math.MaxInt64); got >= numBuckets {
		t.Fatalf("index(MaxInt64) = %d, want < %d", got, numBuckets)
	}
}

func TestQuantiles(t *testing.T) {
	tests := []struct {
		name   string
		values []int64
		q      float64
		want   int64
	}{
		{"empty", nil, 0.5, 0},
		{"single small", []int64{7}, 0.99, 7},
		{"exact below subCount", []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.5, 5},
		{"max caps the midpoint", []int64{1_000_000}, 1, 1_000_000},
		{"p99 of 1..100 (bucket [98,99])", seq(1, 100), 0.99, 98},
		{"negative is zero", []int64{-5}, 0.5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Histogram
			for _, v := range tt.values {
				h.Record(v)
			}
			if got := h.Quantile(tt.q); got != tt.want {
				t.Fatalf("Quantile(%v) = %d, want %d", tt.q, got, tt.want)
			}
		})
	}
}

func seq(a, b int64) []int64 {
	var out []int64
	for v := a; v <= b; v++ {
		out = append(out, v)
	}
	return out
}

func TestRelativeError(t *testing.T) {
	// Against exact quantiles of a wide log-uniform sample: within the bucket precision.
	r := rand.New(rand.NewPCG(1, 2))
	var h Histogram
	vals := make([]int64, 200_000)
	for i := range vals {
		vals[i] = int64(math.Exp(r.Float64() * math.Log(1e10))) // 1 ns .. 10 s
		h.Record(vals[i])
	}
	slices.Sort(vals)
	for _, q := range []float64{0.1, 0.5, 0.9, 0.99, 0.999} {
		exact := vals[int(math.Ceil(q*float64(len(vals))))-1]
		got := h.Quantile(q)
		if exact < subCount {
			if got != exact {
				t.Errorf("q=%v: got %d, want exactly %d", q, got, exact)
			}
			continue
		}
		if rel := math.Abs(float64(got-exact)) / float64(exact); rel > 1.0/halfCount {
			t.Errorf("q=%v: got %d, exact %d, relative error %.4f > %.4f", q, got, exact, rel, 1.0/halfCount)
		}
	}
	if h.Count() != uint64(len(vals)) || h.Max() != vals[len(vals)-1] {
		t.Fatalf("count %d max %d, want %d %d", h.Count(), h.Max(), len(vals), vals[len(vals)-1])
	}
}

func TestMergeAndConcurrentRecord(t *testing.T) {
	var a, b Histogram
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int64(1); i <= 1000; i++ {
				a.Record(i * 1000)
			}
		}()
	}
	wg.Wait()
	b.Record(5_000_000)
	b.Merge(&a)
	if b.Count() != 8001 {
		t.Fatalf("count = %d, want 8001", b.Count())
	}
	if b.Max() != 5_000_000 {
		t.Fatalf("max = %d, want 5000000", b.Max())
	}
	if m := b.Mean(); math.Abs(m-(8*500500*1000+5_000_000)/8001.0) > 1 {
		t.Fatalf("mean = %v", m)
	}
	s := b.Summarize()
	if s.P50 < 490_000 || s.P50 > 510_000 {
		t.Fatalf("p50 = %d, want about 500000", s.P50)
	}
	b.Reset()
	if b.Count() != 0 || b.Quantile(0.5) != 0 || b.Max() != 0 {
		t.Fatal("Reset left values behind")
	}
}

func BenchmarkRecord(b *testing.B) {
	var h Histogram
	for i := 0; b.Loop(); i++ {
		h.Record(int64(i) * 977)
	}
}
