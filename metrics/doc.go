// Package metrics records what a [gateway.Server] does as Prometheus metrics, on
// prometheus/client_golang. Package gateway does not import Prometheus: it reports to a
// [gateway.Observer], and [Metrics] is one.
//
//	reg := prometheus.NewRegistry()
//	m, err := metrics.New(reg, metrics.Config{})
//	if err != nil { ... }
//	srv, err := gateway.NewServer(gateway.Config{}, gateway.WithObserver(m))
//	...
//	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// A server without an observer pays a nil check at each point it would report.
//
// # Metrics
//
//	sockgate_sockets_connected{namespace}                  gauge
//	sockgate_socket_disconnects_total{namespace,reason}    counter, socket.io's reasons
//	sockgate_events_received_total{namespace,event}        counter, events that reached their handlers
//	sockgate_event_handling_seconds{namespace,event}       histogram of the handlers' time
//	sockgate_events_rate_limited_total{namespace,event}    counter
//	sockgate_acks_total{namespace,direction}               counter, direction sent or received
//	sockgate_errors_total{namespace,code}                  counter, by gateway.Code
//	sockgate_slow_consumer_disconnects_total               counter
//	sockgate_adapter_requests_total{namespace,kind,result} counter, result ok, timeout or error
//	sockgate_adapter_request_seconds{namespace,kind}       histogram
//
// Events refused before their handlers (over a rate limit, or with the socket's queue
// full) are not in sockgate_events_received_total: they are in
// sockgate_events_rate_limited_total and sockgate_errors_total (resource_exhausted).
//
// # Cardinality
//
// Clients choose event names, and the names of the children of a pattern namespace. So
// that they cannot create series at will, an event without a handler is counted under
// [OtherLabel], and so are the namespaces and events beyond [Config.MaxNamespaces] and
// [Config.MaxEvents] label values. Series are never removed.
//
// # Concurrency
//
// Every method of Metrics is safe for concurrent use. The path of an event reads
// copy-on-write maps without a lock and records with atomic additions; new label values
// are added under a mutex.
package metrics
