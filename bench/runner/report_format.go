package runner

import (
	"math"
	"strconv"
	"strings"
)

// format kinds.
type unit int

const (
	uCount unit = iota
	uBytes
	uMs
	uUs
	uPct
	uShare // 0..1 shown as percent
	uRatio
)

func fmtNum(v float64, u unit) string {
	if math.IsNaN(v) {
		return "–"
	}
	return bare(v, u) + suffix(u)
}

// bare formats v without its unit.
func bare(v float64, u unit) string {
	switch u {
	case uBytes:
		return thousands(v)
	case uPct, uRatio:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case uShare:
		return strconv.FormatFloat(100*v, 'f', 0, 64)
	}
	if u == uCount && (math.Abs(v) >= 100 || v == math.Trunc(v)) {
		return thousands(v)
	}
	return strconv.FormatFloat(v, 'f', precision(v), 64)
}

func suffix(u unit) string {
	switch u {
	case uBytes:
		return " B"
	case uMs:
		return " ms"
	case uUs:
		return " µs"
	case uPct, uShare:
		return " %"
	}
	return ""
}

func precision(v float64) int {
	switch a := math.Abs(v); {
	case a >= 100:
		return 0
	case a >= 10:
		return 1
	case a >= 1:
		return 2
	default:
		return 3
	}
}

func thousands(v float64) string {
	neg := v < 0
	s := strconv.FormatFloat(math.Abs(math.Round(v)), 'f', 0, 64)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// fmtCell shows the median and, over several repetitions, the min–max; a generator-bound
// cell is marked with a dagger.
func fmtCell(c *cell, u unit) string {
	if c == nil || len(c.vals) == 0 {
		return "–"
	}
	s := fmtNum(c.median(), u)
	if len(c.vals) > 1 {
		lo, hi := c.spread()
		s += " <sub>" + bare(lo, u) + "–" + bare(hi, u) + "</sub>"
	}
	if c.genBound {
		s += " †"
	}
	return s
}

func ratio(a, b *cell) float64 {
	if a == nil || b == nil {
		return math.NaN()
	}
	x, y := a.median(), b.median()
	if y == 0 || math.IsNaN(x) || math.IsNaN(y) {
		return math.NaN()
	}
	return x / y
}
