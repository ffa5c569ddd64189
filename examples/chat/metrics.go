package main

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sockgate/sockgate/di"
	"github.com/sockgate/sockgate/gateway"
	"github.com/sockgate/sockgate/metrics"
)

// Metrics is the registry served at GET /metrics: the gateway's metrics (package
// metrics), the Go runtime's and the process's.
type Metrics struct {
	*prometheus.Registry
}

// NewMetrics returns the registry and the gateway's observer that records on it; di gives
// the observer to the server.
func NewMetrics() (Metrics, gateway.Observer, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m, err := metrics.New(reg, metrics.Config{})
	if err != nil {
		return Metrics{}, nil, err
	}
	return Metrics{reg}, m, nil
}

// RegisterMetrics serves the registry at GET /metrics, in Prometheus' text format. In
// production, serve it where only the scraper reaches it.
func RegisterMetrics(mux *di.Mux, m Metrics) {
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
}
