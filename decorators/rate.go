package decorators

import (
	"strconv"
	"strings"
	"time"
)

// Rate is a rate limit: a token bucket refilled with Count tokens per Per, holding at
// most Burst tokens (Count when Burst is zero). Each event takes one token; an event that
// finds the bucket empty is over the limit.
type Rate struct {
	Count int
	Per   time.Duration
	// Burst is how many events may arrive at once after a quiet period. Zero: Count.
	Burst int
}

// maxRateCount keeps counts in a range where per-event arithmetic cannot overflow.
const maxRateCount = 1_000_000_000

// ParseRate parses `<count>/<interval>` optionally followed by `,burst=<n>`, with no
// spaces. count and n are decimal integers from 1 to 1000000000; interval is a unit
// meaning one of it (ms, s, m, h) or a positive Go duration (time.ParseDuration syntax).
// Examples: "20/s" is 20 per second, "100/m" 100 per minute, "5/10s" 5 per ten seconds,
// "3/1m30s" 3 per ninety seconds, "100/m,burst=20" 100 per minute of which at most 20 at
// once. Without burst, a full bucket holds count tokens.
func ParseRate(s string) (Rate, error) {
	bad := func(detail string) (Rate, error) {
		return Rate{}, &TagError{Key: "rate", Value: s, Err: ErrInvalidValue, Detail: detail}
	}
	spec, burst, hasBurst := strings.Cut(s, ",")
	count, per, ok := strings.Cut(spec, "/")
	if !ok {
		return bad(`want <count>/<interval>[,burst=<n>], as in "20/s", "5/10s" or "100/m,burst=20"`)
	}
	n, ok := parseCount(count)
	if !ok {
		return bad("the count must be a decimal integer between 1 and 1000000000")
	}
	var d time.Duration
	switch per {
	case "ms":
		d = time.Millisecond
	case "s":
		d = time.Second
	case "m":
		d = time.Minute
	case "h":
		d = time.Hour
	default:
		var err error
		if d, err = time.ParseDuration(per); err != nil || d <= 0 || per[0] == '+' {
			return bad("the interval must be ms, s, m, h or a positive duration such as 10s")
		}
	}
	r := Rate{Count: n, Per: d}
	if hasBurst {
		v, ok := strings.CutPrefix(burst, "burst=")
		if !ok {
			return bad(`after the comma, only burst=<n> is allowed, as in "100/m,burst=20"`)
		}
		if r.Burst, ok = parseCount(v); !ok {
			return bad("the burst must be a decimal integer between 1 and 1000000000")
		}
	}
	return r, nil
}

// parseCount reads a decimal integer from 1 to maxRateCount.
func parseCount(s string) (int, bool) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0 && n <= maxRateCount
}

// String writes r in the syntax ParseRate reads, with the short form for one unit.
func (r Rate) String() string {
	var per string
	switch r.Per {
	case time.Millisecond:
		per = "ms"
	case time.Second:
		per = "s"
	case time.Minute:
		per = "m"
	case time.Hour:
		per = "h"
	default:
		per = r.Per.String()
	}
	s := strconv.Itoa(r.Count) + "/" + per
	if r.Burst != 0 {
		s += ",burst=" + strconv.Itoa(r.Burst)
	}
	return s
}

// BurstSize is the bucket's capacity: Burst, or Count when Burst is zero.
func (r Rate) BurstSize() int {
	if r.Burst > 0 {
		return r.Burst
	}
	return r.Count
}
