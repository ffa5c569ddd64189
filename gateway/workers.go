package gateway

import (
	"sync"
	"time"
)

// workerIdle is how long a worker goroutine waits for its next job before it ends.
const workerIdle = 100 * time.Millisecond

// maxIdleWorkers bounds the workers waiting for a job: enough for a burst of events
// on every socket of a busy server, each ending workerIdle after the burst.
const maxIdleWorkers = 1024

// workers runs each socket's event loop (Socket.run) on goroutines kept for a while
// between jobs. A new goroutine grows its stack through every size a handler needs,
// copying it each time; a kept one has grown already. Idle workers are taken most
// recently used first, so the hottest stacks serve, and the others end after
// workerIdle.
type workers struct {
	mu   sync.Mutex // guards idle
	idle []*worker
}

type worker struct {
	jobs chan task // one job at a time: buffered so that handing one never blocks
}

// task is a job of a worker: a *Socket (its event loop) is one without allocating, where
// the method value s.run would be a new closure each time a socket starts running.
type task interface{ run() }

// funcTask runs a function as a task (the tests' jobs).
type funcTask func()

func (f funcTask) run() { f() }

// runTask runs fn.run on an idle worker, or on a new goroutine when none waits.
func (p *workers) runTask(fn task) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		w.jobs <- fn
		return
	}
	p.mu.Unlock()
	go p.loop(fn)
}

func (p *workers) loop(fn task) {
	w := &worker{jobs: make(chan task, 1)}
	var t *time.Timer
	for {
		fn.run()
		fn = nil
		p.mu.Lock()
		if len(p.idle) >= maxIdleWorkers {
			p.mu.Unlock()
			return
		}
		p.idle = append(p.idle, w)
		p.mu.Unlock()
		if t == nil {
			t = time.NewTimer(workerIdle)
		} else {
			t.Reset(workerIdle)
		}
		select {
		case fn = <-w.jobs:
			t.Stop()
		case <-t.C:
			if !p.leave(w) {
				fn = <-w.jobs // taken just as the time ran out: its job is on the way
				continue
			}
			return
		}
	}
}

// leave removes w from the idle list, unless run has taken it already.
func (p *workers) leave(w *worker) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, x := range p.idle {
		if x == w {
			n := len(p.idle) - 1
			copy(p.idle[i:], p.idle[i+1:])
			p.idle[n] = nil
			p.idle = p.idle[:n]
			return true
		}
	}
	return false
}
