package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var origin = time.Now()

// BenchmarkEventHandled is what an event costs with metrics on, beyond the dispatch
// itself: the two monotonic clock readings the gateway takes around the handlers, the
// label lookup and the observation.
func BenchmarkEventHandled(b *testing.B) {
	m, err := New(prometheus.NewRegistry(), Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		start := time.Since(origin)
		m.EventHandled("/chat", "message", true, time.Since(origin)-start)
	}
}
