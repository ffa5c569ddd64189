package metrics

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// eventSeries are the series of one (namespace, event) label pair: the handling time
// histogram, whose count is also the number of events received, and the rate limit
// refusals. They are plain atomics rather than prometheus.Histogram and Counter because
// they sit on the path of every event: an observation costs two atomic additions.
type eventSeries struct {
	namespace, event string // label values

	buckets     []atomic.Uint64 // per bucket (not cumulative); the last is +Inf
	sumNanos    atomic.Int64
	rateLimited atomic.Uint64
}

// observe records one event handled in d; bounds are the buckets' upper bounds.
func (e *eventSeries) observe(d time.Duration, bounds []int64) {
	i := 0
	for i < len(bounds) && int64(d) > bounds[i] {
		i++
	}
	e.buckets[i].Add(1)
	e.sumNanos.Add(int64(d))
}

var (
	receivedDesc = prometheus.NewDesc("sockgate_events_received_total",
		"Events received from clients that reached their handlers ("+OtherLabel+": events without a handler, and beyond the label bound).",
		[]string{"namespace", "event"}, nil)
	handlingDesc = prometheus.NewDesc("sockgate_event_handling_seconds",
		"Time taken by the handlers of one event.",
		[]string{"namespace", "event"}, nil)
	rateLimitedDesc = prometheus.NewDesc("sockgate_events_rate_limited_total",
		"Events refused by a rate limit.",
		[]string{"namespace", "event"}, nil)
)

// eventCollector exports the event series.
type eventCollector struct{ m *Metrics }

func (c eventCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- receivedDesc
	ch <- handlingDesc
	ch <- rateLimitedDesc
}

func (c eventCollector) Collect(ch chan<- prometheus.Metric) {
	bounds := c.m.cfg.Buckets
	for _, e := range *c.m.events.Load() {
		cumulative := make(map[float64]uint64, len(bounds))
		var n uint64
		for i := range e.buckets {
			n += e.buckets[i].Load()
			if i < len(bounds) {
				cumulative[bounds[i]] = n
			}
		}
		sum := time.Duration(e.sumNanos.Load()).Seconds()
		ch <- prometheus.MustNewConstMetric(receivedDesc, prometheus.CounterValue, float64(n), e.namespace, e.event)
		ch <- prometheus.MustNewConstHistogram(handlingDesc, n, sum, cumulative, e.namespace, e.event)
		ch <- prometheus.MustNewConstMetric(rateLimitedDesc, prometheus.CounterValue,
			float64(e.rateLimited.Load()), e.namespace, e.event)
	}
}
