package client

import (
	"math"
	"math/rand/v2"
	"time"
)

// backoff computes reconnection delays the way the JavaScript client does: the base delay
// doubles with every attempt, is spread by the randomization factor, and is capped.
type backoff struct {
	min, max time.Duration
	jitter   float64
	attempts int
}

// duration returns the delay before the next attempt and counts the attempt.
func (b *backoff) duration() time.Duration {
	d := float64(b.min) * math.Pow(2, float64(b.attempts))
	b.attempts++
	if b.jitter > 0 {
		r := rand.Float64()
		dev := math.Floor(r * b.jitter * d)
		// The JavaScript client picks the direction from a digit of the same draw.
		if int(math.Floor(r*10))&1 == 0 {
			d -= dev
		} else {
			d += dev
		}
	}
	if d >= float64(b.max) || math.IsNaN(d) {
		return b.max
	}
	return time.Duration(d)
}

func (b *backoff) reset() { b.attempts = 0 }
