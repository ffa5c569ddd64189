package gateway

import "time"

// Observer is told what a Server does, for metrics; package metrics implements it with
// Prometheus collectors. Install one with WithObserver. Without one the server makes no
// call and pays a nil check at each point below.
//
// The methods are called on the goroutines where things happen (connection readers,
// sockets' event loops, adapters), many at once: they must be safe for concurrent use,
// quick, and never block. Every name passed is set by the server's code except
// namespace, which a client chooses for the children of a pattern namespace: an observer
// that keeps names as metric labels should bound them.
type Observer interface {
	// SocketConnected is called when a socket's CONNECT to namespace is accepted.
	SocketConnected(namespace string)
	// SocketDisconnected is called once for every socket SocketConnected reported, when
	// it leaves its namespace.
	SocketDisconnected(namespace string, reason DisconnectReason)
	// EventHandled is called when every handler of an event received from a client has
	// returned, with the time they took. handled is false when no handler is registered
	// for the event (Namespace.Handle or Socket.On), so that only OnAny handlers, or
	// none, saw it: the name is then whatever the client sent, and must not become a
	// metric label as is.
	EventHandled(namespace, event string, handled bool, d time.Duration)
	// EventRateLimited is called when an event is refused by a rate limit, before its
	// handlers would run; handled is as for EventHandled.
	EventRateLimited(namespace, event string, handled bool)
	// AckSent is called for every acknowledgement sent to a client, errors included.
	AckSent(namespace string)
	// AckReceived is called for every acknowledgement a client sent for an emit that
	// awaited one.
	AckReceived(namespace string)
	// ErrorSent is called for every error reported to a client for one of its events,
	// once per event, with the code the client sees.
	ErrorSent(namespace string, code Code)
	// SlowConsumer is called when a connection is closed because its write queue was
	// full (Config.WriteQueueSize).
	SlowConsumer()
	// AdapterRequest is called for every request the namespace's adapter sent to the
	// other nodes of a cluster, with its kind (a small fixed set chosen by the adapter),
	// how long it took and the error that ended it, nil on success.
	AdapterRequest(namespace, kind string, d time.Duration, err error)
}

// processStart is the origin of sinceStart.
var processStart = time.Now()

// sinceStart reads the monotonic clock only, where time.Now reads the wall clock too: an
// observed event takes two readings instead of three.
func sinceStart() time.Duration { return time.Since(processStart) }

type observerOption struct{ o Observer }

func (o observerOption) apply(s *Server) { s.observer = o.o }
func (o observerOption) String() string  { return "gateway.WithObserver(...)" }

// WithObserver sets the server's observer, for metrics (see package metrics). Default:
// none.
func WithObserver(o Observer) Option { return observerOption{o} }
