package client

import (
	"reflect"
	"runtime"
	"sync"
)

// dispatcher runs the handlers of one Manager, one at a time and in the order the events
// were posted, on a goroutine that exists only while events are waiting. Posting never
// blocks; the reader calls throttle afterwards to wait while too many events are waiting.
type dispatcher struct {
	mu      sync.Mutex
	cond    sync.Cond // on mu: the queue shrank or the dispatcher stopped
	queue   []item
	head    int
	running bool // a goroutine is draining the queue
	busy    bool // a handler is running
	closed  bool // no more posts; the current queue is still delivered
	limit   int
	m       *Manager
}

// item is one event to deliver: to a socket's handlers (s != nil) or the Manager's.
type item struct {
	s   *Socket
	ev  *Event
	mev ManagerEvent
}

func (d *dispatcher) init(m *Manager, limit int) {
	d.m = m
	d.limit = limit
	d.cond.L = &d.mu
}

// post queues it. Callers may hold the Manager lock: post takes only d.mu.
func (d *dispatcher) post(it item) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.queue = append(d.queue, it)
	if !d.running {
		d.running = true
		go d.run()
	}
	d.mu.Unlock()
}

// throttle blocks while more than limit events wait, until the handlers catch up or the
// dispatcher stops. Only the reader of a connection calls it, so that a slow handler
// slows reading down instead of growing the queue without bound.
func (d *dispatcher) throttle() {
	d.mu.Lock()
	for !d.closed && len(d.queue)-d.head > d.limit {
		d.cond.Wait()
	}
	d.mu.Unlock()
}

func (d *dispatcher) run() {
	d.mu.Lock()
	for d.head < len(d.queue) {
		it := d.queue[d.head]
		d.queue[d.head] = item{}
		d.head++
		if d.head == len(d.queue) {
			d.queue, d.head = d.queue[:0], 0
		}
		d.busy = true
		d.cond.Broadcast()
		d.mu.Unlock()
		d.deliver(it)
		d.mu.Lock()
		d.busy = false
	}
	d.running = false
	d.cond.Broadcast()
	d.mu.Unlock()
}

func (d *dispatcher) deliver(it item) {
	if it.s != nil {
		it.s.handlers.call(it.ev.Name, isApplicationEvent(it.ev.Name), func(h Handler) { h(it.ev) })
		return
	}
	d.m.handlers.call(it.mev.Name, false, func(h func(ManagerEvent)) { h(it.mev) })
}

// close stops accepting posts and wakes a throttled reader. What is queued is still
// delivered.
func (d *dispatcher) close() {
	d.mu.Lock()
	d.closed = true
	d.cond.Broadcast()
	d.mu.Unlock()
}

// wait returns when the queue is delivered. Called from a handler, it does not wait for
// the handler that is running, which is the caller itself (Close from a handler).
func (d *dispatcher) wait() {
	inHandler := calledFromHandler()
	d.mu.Lock()
	for d.running && !(inHandler && d.busy) {
		d.cond.Wait()
	}
	d.mu.Unlock()
}

// deliverFunc is the name of dispatcher.deliver as the runtime reports it.
var deliverFunc = func() string {
	f := runtime.FuncForPC(reflect.ValueOf((*dispatcher).deliver).Pointer())
	return f.Name()
}()

// calledFromHandler reports whether the calling goroutine is running a handler. Go has no
// goroutine identity, so the stack is searched for the dispatcher's frame; this happens
// only in Close.
func calledFromHandler() bool {
	pcs := make([]uintptr, 256)
	n := runtime.Callers(2, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if f.Function == deliverFunc {
			return true
		}
		if !more {
			return false
		}
	}
}

// isApplicationEvent reports whether name is a server event rather than one the socket
// emits by itself; catch-all handlers see only server events, as in the JavaScript client.
func isApplicationEvent(name string) bool {
	switch name {
	case EventConnect, EventConnectError, EventDisconnect:
		return false
	}
	return true
}
