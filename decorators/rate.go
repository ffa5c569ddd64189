package decorators

import (
	"strconv"
	"strings"
	"time"
)

// Rate is a rate limit: at most Count events per Per.
type Rate struct {
	Count int
	Per   time.Duration
}

// maxRateCount keeps counts in a range where per-event arithmetic cannot overflow.
const maxRateCount = 1_000_000_000

// ParseRate parses `<count>/<interval>`: count is a positive decimal integer, interval is
// a unit meaning one of it (ms, s, m, h) or a positive Go duration (time.ParseDuration
// syntax). Examples: "20/s" is 20 per second, "100/m" 100 per minute, "5/10s" 5 per ten
// seconds, "3/1m30s" 3 per ninety seconds.
func ParseRate(s string) (Rate, error) {
	bad := func(detail string) (Rate, error) {
		return Rate{}, &TagError{Key: "rate", Value: s, Err: ErrInvalidValue, Detail: detail}
	}
	count, per, ok := strings.Cut(s, "/")
	if !ok {
		return bad(`want <count>/<interval>, as in "20/s" or "5/10s"`)
	}
	if count == "" || strings.TrimLeft(count, "0123456789") != "" {
		return bad("the count must be a positive decimal integer")
	}
	n, err := strconv.Atoi(count)
	if err != nil || n <= 0 || n > maxRateCount {
		return bad("the count must be between 1 and 1000000000")
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
		if d, err = time.ParseDuration(per); err != nil || d <= 0 || per[0] == '+' {
			return bad("the interval must be ms, s, m, h or a positive duration such as 10s")
		}
	}
	return Rate{Count: n, Per: d}, nil
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
	return strconv.Itoa(r.Count) + "/" + per
}
