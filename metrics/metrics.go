package metrics

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sockgate/sockgate/gateway"
)

// OtherLabel is the label value that stands for every namespace or event beyond the
// bounds of Config, and for events that have no handler.
const OtherLabel = "_other"

// DefaultBuckets are the upper bounds, in seconds, of the event handling histogram: from
// 50 microseconds (a handler that only acks) to 10 seconds.
var DefaultBuckets = []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Config is the configuration of Metrics. Its zero value gives the defaults.
type Config struct {
	// Buckets are the upper bounds, in seconds, of the event handling histogram. Zero:
	// DefaultBuckets.
	Buckets []float64
	// MaxNamespaces bounds the namespace label values; the namespaces seen after that many
	// are counted together as OtherLabel. Zero: 64.
	MaxNamespaces int
	// MaxEvents bounds the event label values over all namespaces; the events seen after
	// that many are counted together as OtherLabel. Zero: 512.
	MaxEvents int
}

// Metrics records what a gateway.Server does on Prometheus collectors. It is a
// gateway.Observer: give it to the server with gateway.WithObserver. Its methods are safe
// for concurrent use.
type Metrics struct {
	cfg Config

	bounds       []int64                // Config.Buckets in nanoseconds
	sockets      *prometheus.GaugeVec   // namespace
	disconnects  *prometheus.CounterVec // namespace, reason
	acks         *prometheus.CounterVec // namespace, direction
	errs         *prometheus.CounterVec // namespace, code
	slow         prometheus.Counter
	adapterReqs  *prometheus.CounterVec   // namespace, kind, result
	adapterTimes *prometheus.HistogramVec // namespace, kind

	// nsps maps a namespace name to its series. It is copied on write, so that the hot
	// path reads it without a lock; it grows to MaxNamespaces entries and never shrinks.
	nsps     atomic.Pointer[map[string]*nspSeries]
	nspsFull atomic.Bool
	other    atomic.Pointer[nspSeries]      // OtherLabel, made when first needed
	events   atomic.Pointer[[]*eventSeries] // every event series, for Collect; copied on write

	eventsFull atomic.Bool // MaxEvents event labels are taken

	// mu serializes the writers of nsps, other, events and every nspSeries.events.
	mu      sync.Mutex
	nEvents int // event labels other than OtherLabel, over all namespaces
}

// nspSeries are the series of one namespace label value.
type nspSeries struct {
	label        string
	sockets      prometheus.Gauge
	acksSent     prometheus.Counter
	acksReceived prometheus.Counter
	otherEvent   *eventSeries

	events atomic.Pointer[map[string]*eventSeries] // copied on write, under Metrics.mu
}

var _ gateway.Observer = (*Metrics)(nil)

// New returns Metrics whose collectors are registered on reg (prometheus.DefaultRegisterer
// when nil). It fails when reg refuses them, for instance when another Metrics is
// registered there already.
func New(reg prometheus.Registerer, cfg Config) (*Metrics, error) {
	if reg == nil {
		reg = prometheus.DefaultRegisterer
	}
	if cfg.Buckets == nil {
		cfg.Buckets = DefaultBuckets
	}
	if cfg.MaxNamespaces == 0 {
		cfg.MaxNamespaces = 64
	}
	if cfg.MaxEvents == 0 {
		cfg.MaxEvents = 512
	}
	if cfg.MaxNamespaces < 0 || cfg.MaxEvents < 0 {
		return nil, errors.New("metrics: MaxNamespaces and MaxEvents must not be negative")
	}
	m := &Metrics{
		cfg: cfg,
		sockets: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sockgate_sockets_connected",
			Help: "Sockets connected to a namespace of this node.",
		}, []string{"namespace"}),
		disconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sockgate_socket_disconnects_total",
			Help: "Sockets that left a namespace, by socket.io disconnect reason.",
		}, []string{"namespace", "reason"}),
		acks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sockgate_acks_total",
			Help: "Acknowledgements sent to clients (direction sent, errors included) and received from them (received).",
		}, []string{"namespace", "direction"}),
		errs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sockgate_errors_total",
			Help: "Errors reported to clients for their events, by the code they see.",
		}, []string{"namespace", "code"}),
		slow: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sockgate_slow_consumer_disconnects_total",
			Help: "Connections closed because their write queue was full.",
		}),
		adapterReqs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sockgate_adapter_requests_total",
			Help: "Requests sent by the adapter to the other nodes of the cluster, by kind and result (ok, timeout, error).",
		}, []string{"namespace", "kind", "result"}),
		adapterTimes: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sockgate_adapter_request_seconds",
			Help:    "Time taken by the adapter's requests to the other nodes.",
			Buckets: prometheus.DefBuckets,
		}, []string{"namespace", "kind"}),
	}
	for _, b := range cfg.Buckets {
		m.bounds = append(m.bounds, int64(b*float64(time.Second)))
	}
	if !slices.IsSorted(m.bounds) {
		return nil, errors.New("metrics: Buckets must be in increasing order")
	}
	empty := map[string]*nspSeries{}
	m.nsps.Store(&empty)
	m.events.Store(new([]*eventSeries))
	for _, c := range []prometheus.Collector{m.sockets, m.disconnects, eventCollector{m},
		m.acks, m.errs, m.slow, m.adapterReqs, m.adapterTimes} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: registering collectors: %w", err)
		}
	}
	return m, nil
}

// SocketConnected implements gateway.Observer.
func (m *Metrics) SocketConnected(namespace string) { m.namespace(namespace).sockets.Inc() }

// SocketDisconnected implements gateway.Observer.
func (m *Metrics) SocketDisconnected(namespace string, reason gateway.DisconnectReason) {
	ns := m.namespace(namespace)
	ns.sockets.Dec()
	if c, err := m.disconnects.GetMetricWithLabelValues(ns.label, labelValue(string(reason))); err == nil {
		c.Inc()
	}
}

// EventHandled implements gateway.Observer. Events without a handler are counted as
// OtherLabel.
func (m *Metrics) EventHandled(namespace, event string, handled bool, d time.Duration) {
	m.event(namespace, event, handled).observe(d, m.bounds)
}

// EventRateLimited implements gateway.Observer. Events without a handler are counted as
// OtherLabel.
func (m *Metrics) EventRateLimited(namespace, event string, handled bool) {
	m.event(namespace, event, handled).rateLimited.Add(1)
}

// AckSent implements gateway.Observer.
func (m *Metrics) AckSent(namespace string) { m.namespace(namespace).acksSent.Inc() }

// AckReceived implements gateway.Observer.
func (m *Metrics) AckReceived(namespace string) { m.namespace(namespace).acksReceived.Inc() }

// ErrorSent implements gateway.Observer.
func (m *Metrics) ErrorSent(namespace string, code gateway.Code) {
	ns := m.namespace(namespace)
	if c, err := m.errs.GetMetricWithLabelValues(ns.label, labelValue(string(code))); err == nil {
		c.Inc()
	}
}

// SlowConsumer implements gateway.Observer.
func (m *Metrics) SlowConsumer() { m.slow.Inc() }

// AdapterRequest implements gateway.Observer. A request that ended with an error
// matching context.DeadlineExceeded, or with a Timeout() bool method that says so (as
// net.Error), counts as a timeout.
func (m *Metrics) AdapterRequest(namespace, kind string, d time.Duration, err error) {
	ns := m.namespace(namespace)
	kind = labelValue(kind)
	result := "ok"
	var timeout interface{ Timeout() bool }
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &timeout) && timeout.Timeout():
		result = "timeout"
	case err != nil:
		result = "error"
	}
	if c, err := m.adapterReqs.GetMetricWithLabelValues(ns.label, kind, result); err == nil {
		c.Inc()
	}
	if h, err := m.adapterTimes.GetMetricWithLabelValues(ns.label, kind); err == nil {
		h.Observe(d.Seconds())
	}
}

// labelValue keeps a label value that Prometheus would refuse from failing the call.
func labelValue(v string) string {
	if !utf8.ValidString(v) {
		return OtherLabel
	}
	return v
}

// namespace returns the series of a namespace name: its own while fewer than
// MaxNamespaces are known, OtherLabel's after that.
func (m *Metrics) namespace(name string) *nspSeries {
	if ns, ok := (*m.nsps.Load())[name]; ok {
		return ns
	}
	if m.nspsFull.Load() {
		if o := m.other.Load(); o != nil {
			return o
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.nsps.Load()
	if ns, ok := old[name]; ok {
		return ns
	}
	if len(old) >= m.cfg.MaxNamespaces || !utf8.ValidString(name) || name == OtherLabel {
		if len(old) >= m.cfg.MaxNamespaces {
			m.nspsFull.Store(true)
		}
		o := m.other.Load()
		if o == nil {
			o = m.newNamespace(OtherLabel)
			m.other.Store(o)
		}
		return o
	}
	ns := m.newNamespace(name)
	next := maps.Clone(old)
	next[name] = ns
	m.nsps.Store(&next)
	return ns
}

// newNamespace makes the series of a namespace label; m.mu is held.
func (m *Metrics) newNamespace(label string) *nspSeries {
	ns := &nspSeries{
		label:        label,
		sockets:      m.sockets.WithLabelValues(label),
		acksSent:     m.acks.WithLabelValues(label, "sent"),
		acksReceived: m.acks.WithLabelValues(label, "received"),
	}
	ns.otherEvent = m.newEvent(label, OtherLabel)
	empty := map[string]*eventSeries{}
	ns.events.Store(&empty)
	return ns
}

// newEvent makes the series of an event label of a namespace label; m.mu is held.
func (m *Metrics) newEvent(nsLabel, event string) *eventSeries {
	e := &eventSeries{namespace: nsLabel, event: event, buckets: make([]atomic.Uint64, len(m.bounds)+1)}
	all := append(slices.Clip(*m.events.Load()), e)
	m.events.Store(&all)
	return e
}

// event returns the series of an event of a namespace: its own while fewer than
// MaxEvents are known and handled is set, OtherLabel's otherwise.
func (m *Metrics) event(namespace, event string, handled bool) *eventSeries {
	ns := m.namespace(namespace)
	if !handled {
		return ns.otherEvent
	}
	if e, ok := (*ns.events.Load())[event]; ok {
		return e
	}
	if m.eventsFull.Load() {
		return ns.otherEvent
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *ns.events.Load()
	if e, ok := old[event]; ok {
		return e
	}
	if m.nEvents >= m.cfg.MaxEvents || !utf8.ValidString(event) || event == OtherLabel {
		m.eventsFull.Store(m.nEvents >= m.cfg.MaxEvents)
		return ns.otherEvent
	}
	e := m.newEvent(ns.label, event)
	next := maps.Clone(old)
	next[event] = e
	ns.events.Store(&next)
	m.nEvents++
	return e
}
