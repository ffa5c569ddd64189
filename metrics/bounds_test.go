package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"

	"github.com/sockgate/sockgate/metrics"
)

func TestLabelBounds(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Config{MaxNamespaces: 2, MaxEvents: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		m.SocketConnected(fmt.Sprintf("/room-%d", i))
	}
	m.SocketConnected("/bad-\xff")
	got := series(t, reg, "sockgate_sockets_connected")
	want := []string{"namespace=/room-0", "namespace=/room-1", "namespace=" + metrics.OtherLabel}
	if !slices.Equal(got, want) {
		t.Errorf("namespaces %v, want %v", got, want)
	}
	if v := value(t, reg, "sockgate_sockets_connected", "namespace", metrics.OtherLabel); v != 4 {
		t.Errorf("%s sockets = %v, want 4", metrics.OtherLabel, v)
	}

	for i := range 5 {
		m.EventHandled("/room-0", fmt.Sprintf("e%d", i), true, time.Millisecond)
	}
	m.EventHandled("/room-0", "whatever a client sends", false, time.Millisecond)
	m.EventHandled("/room-1", "\xff", true, time.Millisecond)
	m.EventRateLimited("/room-0", "e0", true)
	m.EventRateLimited("/room-0", "a client's choice", false)
	got = series(t, reg, "sockgate_events_received_total")
	want = []string{
		"event=_other,namespace=/room-0", "event=_other,namespace=/room-1", "event=_other,namespace=_other",
		"event=e0,namespace=/room-0", "event=e1,namespace=/room-0", "event=e2,namespace=/room-0",
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
	if v := value(t, reg, "sockgate_events_received_total", "namespace", "/room-0", "event", metrics.OtherLabel); v != 3 {
		t.Errorf("%s events = %v, want 3 (e3, e4 and the unhandled one)", metrics.OtherLabel, v)
	}
	if v := value(t, reg, "sockgate_events_rate_limited_total", "namespace", "/room-0", "event", "e0"); v != 1 {
		t.Errorf("rate limited = %v, want 1", v)
	}
	if v := value(t, reg, "sockgate_events_rate_limited_total", "namespace", "/room-0", "event", metrics.OtherLabel); v != 1 {
		t.Errorf("rate limited %s = %v, want 1", metrics.OtherLabel, v)
	}
}

func TestHandlingHistogram(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Config{Buckets: []float64{0.001, 0.01}})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []time.Duration{500 * time.Microsecond, time.Millisecond, 5 * time.Millisecond, time.Second} {
		m.EventHandled("/", "x", true, d)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "sockgate_event_handling_seconds" {
			continue
		}
		var h *dto.Histogram
		for _, m := range f.GetMetric() {
			if hasLabels(m, []string{"namespace", "/", "event", "x"}) {
				h = m.GetHistogram()
			}
		}
		var cum []uint64
		for _, b := range h.GetBucket() {
			cum = append(cum, b.GetCumulativeCount())
		}
		// A bucket holds what is less than or equal to its bound.
		if !slices.Equal(cum, []uint64{2, 3}) || h.GetSampleCount() != 4 {
			t.Errorf("buckets %v count %d, want [2 3] and 4", cum, h.GetSampleCount())
		}
		if s := h.GetSampleSum(); s < 1.0064 || s > 1.0066 {
			t.Errorf("sum %v, want 1.0065", s)
		}
		return
	}
	t.Fatal("no sockgate_event_handling_seconds")
}

func TestAdapterRequests(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m.AdapterRequest("/", "fetch_sockets", 2*time.Millisecond, nil)
	m.AdapterRequest("/", "fetch_sockets", time.Second, fmt.Errorf("waiting: %w", context.DeadlineExceeded))
	m.AdapterRequest("/", "server_side_emit", time.Millisecond, errors.New("redis: connection refused"))
	m.AdapterRequest("/", "all_rooms", time.Second, timeoutErr{})
	for _, c := range []struct {
		kind, result string
		want         float64
	}{{"fetch_sockets", "ok", 1}, {"fetch_sockets", "timeout", 1}, {"server_side_emit", "error", 1}, {"all_rooms", "timeout", 1}} {
		if v := value(t, reg, "sockgate_adapter_requests_total", "namespace", "/", "kind", c.kind, "result", c.result); v != c.want {
			t.Errorf("%s %s = %v, want %v", c.kind, c.result, v, c.want)
		}
	}
	if v := value(t, reg, "sockgate_adapter_request_seconds", "namespace", "/", "kind", "fetch_sockets"); v != 2 {
		t.Errorf("fetch_sockets timings = %v, want 2", v)
	}
}

func TestNewRefuses(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := metrics.New(reg, metrics.Config{}); err != nil {
		t.Fatal(err)
	}
	if _, err := metrics.New(reg, metrics.Config{}); err == nil {
		t.Error("a second Metrics on the same registry was accepted")
	}
	if _, err := metrics.New(prometheus.NewRegistry(), metrics.Config{Buckets: []float64{1, 0.5}}); err == nil {
		t.Error("unsorted buckets were accepted")
	}
	if _, err := metrics.New(prometheus.NewRegistry(), metrics.Config{MaxEvents: -1}); err == nil {
		t.Error("a negative bound was accepted")
	}
}

// The collectors pass the registry's consistency checks (names, help, label sets).
func TestLint(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m, err := metrics.New(reg, metrics.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m.SocketConnected("/")
	m.EventHandled("/", "x", true, time.Millisecond)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	problems, err := promlint.NewWithMetricFamilies(families).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

// timeoutErr says it is a timeout the way net.Error and the Redis adapter's errors do.
type timeoutErr struct{}

func (timeoutErr) Error() string { return "timeout reached" }
func (timeoutErr) Timeout() bool { return true }
