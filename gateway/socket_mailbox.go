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
		if len(s.queue) >= s.nsp.srv.cfg.EventQueueSize {
			s.mu.Unlock()
			return false
		}
	}
	s.queue = append(s.queue, j)
	start := !s.running
	s.running = true
	s.mu.Unlock()
	if start {
		s.nsp.srv.active.add(1)
		s.nsp.srv.workers.run(s.run)
	}
	return true
}

func (s *Socket) run() {
	defer s.nsp.srv.active.add(-1)
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			s.running = false
			s.queue = nil // release the backing array of a burst
			s.mu.Unlock()
			return
		}
		j := s.queue[0]
		s.queue[0] = job{}
		s.queue = s.queue[1:]
		s.mu.Unlock()
		switch j.kind {
		case jobConnect:
			s.connect()
		case jobEvent:
			if s.state.Load() == stateConnected {
				s.dispatch(j.pkt)
			}
		case jobDisconnect:
			s.mu.Lock()
			hs := s.onDisconnect
			s.onDisconnect = nil
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
	name := eventName(p.Data)
	err := NewError(CodeResourceExhausted, "too many events waiting for this socket")
	s.reportError(name, p.HasID, p.ID, err)
}
