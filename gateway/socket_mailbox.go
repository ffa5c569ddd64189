package gateway

import (
	"github.com/sockgate/sockgate/internal/socketio"
)

type jobKind uint8

const (
	jobConnect jobKind = iota
	jobEvent
	jobDisconnect
)

// keptQueue is the largest queue array a socket keeps between bursts of events.
const keptQueue = 4

type job struct {
	kind   jobKind
	pkt    *socketio.Packet
	reason DisconnectReason
}

// enqueue appends a job to the socket's mailbox and starts its goroutine if none runs.
func (s *Socket) enqueue(j job) bool {
	s.mu.Lock()
	if j.kind == jobEvent {
		if s.state.Load() == stateClosed {
			s.mu.Unlock()
			return true
		}
		if len(s.queue)-int(s.qhead) >= s.nsp.srv.cfg.EventQueueSize {
			s.mu.Unlock()
			return false
		}
	}
	if s.qhead > 0 && len(s.queue) == cap(s.queue) {
		// Full: slide the waiting jobs to the front rather than grow, so that a queue
		// that never drains stays within its bound.
		n := copy(s.queue, s.queue[s.qhead:])
		clear(s.queue[n:])
		s.queue = s.queue[:n]
		s.qhead = 0
	}
	s.queue = append(s.queue, j)
	start := !s.running
	s.running = true
	s.mu.Unlock()
	if start {
		s.nsp.srv.active.add(1)
		s.nsp.srv.workers.runTask(s)
	}
	return true
}

func (s *Socket) run() {
	defer s.nsp.srv.active.add(-1)
	last := jobConnect
	for {
		s.mu.Lock()
		if int(s.qhead) == len(s.queue) {
			s.running = false
			s.overflowed = false
			s.qhead = 0
			if last == jobEvent && cap(s.queue) <= keptQueue {
				// A socket that sends events keeps its small array: no allocation per
				// event. One that only connected, or had a burst, gives it back.
				s.queue = s.queue[:0]
			} else {
				s.queue = nil
			}
			s.mu.Unlock()
			return
		}
		j := s.queue[s.qhead]
		s.queue[s.qhead] = job{}
		s.qhead++
		s.mu.Unlock()
		last = j.kind
		switch j.kind {
		case jobConnect:
			s.connect()
		case jobEvent:
			if s.state.Load() == stateConnected {
				s.dispatch(j.pkt)
			}
		case jobDisconnect:
			var hs []func(DisconnectReason)
			s.mu.Lock()
			if x := s.extras; x != nil {
				hs, x.onDisconnect = x.onDisconnect, nil
			}
			s.mu.Unlock()
			for _, h := range hs {
				s.protect("disconnect handler", func() { h(j.reason) })
			}
		}
	}
}

func (s *Socket) enqueueEvent(p *socketio.Packet) {
	if s.nsp.srv.rateLimits.Load() && s.rateLimited(p) {
		return
	}
	if s.enqueue(job{kind: jobEvent, pkt: p}) {
		return
	}
	// The socket's handlers are this far behind: refuse the event visibly rather than
	// blocking the connection's reader (which also carries the acks they may wait for).
	// Every refused event that asked for an ack gets one; a burst of refusals gets one
	// exception, so that the replies to a burst fit the room replies have (issue 8.10).
	name := eventName(p.Data)
	err := NewError(CodeResourceExhausted, "too many events waiting for this socket")
	s.mu.Lock()
	first := !s.overflowed
	s.overflowed = true
	s.mu.Unlock()
	s.reportErrorAs(name, p.HasID, p.ID, err, first)
}
