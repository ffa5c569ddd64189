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

// keptTasks is the largest array of waiting tasks the pool keeps once they have all
// been taken.
const keptTasks = 1024

// workers runs each socket's event loop (Socket.run) on goroutines kept for a while
// between jobs. A new goroutine grows its stack through every size a handler needs,
// copying it each time; a kept one has grown already. Idle workers are taken most
// recently used first, so the hottest stacks serve, and the others end after
// workerIdle.
//
// Tasks wait in one queue, and a worker that finishes a task takes the next one itself:
// a burst of events on many sockets, such as one read of the pollers, runs on the worker
// already running, without a goroutine woken and parked for each. No task waits behind
// one that blocks: while tasks wait, one worker is always on its way to the queue (woken
// or started, and not yet looking: searching), and a worker that takes a task with more
// waiting behind it sends another on the way before it runs the task. The worker on the
// way takes the next task when the running one blocks, or in parallel on another
// processor.
type workers struct {
	mu sync.Mutex // guards the fields below
	// idle are the parked workers, the most recently parked last.
	idle []*worker
	// tasks[head:] wait for a worker, in arrival order.
	tasks []task
	head  int
	// searching counts the workers woken or started that have not yet looked at tasks.
	searching int
}

type worker struct {
	wake chan struct{} // buffered: waking a parked worker never blocks
}

// task is a job of a worker: a *Socket (its event loop) is one without allocating, where
// the method value s.run would be a new closure each time a socket starts running.
type task interface{ run() }

// funcTask runs a function as a task (the tests' jobs).
type funcTask func()

func (f funcTask) run() { f() }

// runTask queues fn.run to be run by a worker, and sends one on its way (an idle one, or
// a new goroutine) unless one is already.
func (p *workers) runTask(fn task) {
	p.mu.Lock()
	if p.head > 0 && len(p.tasks) == cap(p.tasks) {
		// Full: slide the waiting tasks to the front rather than grow, so that a queue
		// that never empties keeps an array sized for what waits, not for all it served.
		n := copy(p.tasks, p.tasks[p.head:])
		clear(p.tasks[n:])
		p.tasks = p.tasks[:n]
		p.head = 0
	}
	p.tasks = append(p.tasks, fn)
	w, spawn := p.sendSearcherLocked()
	p.mu.Unlock()
	p.start(w, spawn)
}

// sendSearcherLocked picks the worker to send to the waiting tasks when none is on its
// way: an idle one (w), or a new one (spawn).
func (p *workers) sendSearcherLocked() (w *worker, spawn bool) {
	if p.searching > 0 || p.head == len(p.tasks) {
		return nil, false
	}
	p.searching++
	if n := len(p.idle); n > 0 {
		w = p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		return w, false
	}
	return nil, true
}

// start wakes w, or starts a worker when spawn is set.
func (p *workers) start(w *worker, spawn bool) {
	switch {
	case w != nil:
		w.wake <- struct{}{}
	case spawn:
		go p.loop()
	}
}

// loop is a worker: it takes the waiting tasks one by one, and parks when there are none.
// It starts searching, as it was started by runTask or by another worker.
func (p *workers) loop() {
	w := &worker{wake: make(chan struct{}, 1)}
	var t *time.Timer
	searching := true
	for {
		p.mu.Lock()
		if searching {
			p.searching--
			searching = false
		}
		if p.head < len(p.tasks) {
			fn := p.tasks[p.head]
			p.tasks[p.head] = nil
			p.head++
			if p.head == len(p.tasks) {
				p.head = 0
				p.tasks = p.tasks[:0]
				if cap(p.tasks) > keptTasks {
					p.tasks = nil
				}
			}
			next, spawn := p.sendSearcherLocked()
			p.mu.Unlock()
			p.start(next, spawn)
			fn.run()
			continue
		}
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
		case <-w.wake:
			t.Stop()
		case <-t.C:
			if p.leave(w) {
				return
			}
			<-w.wake // taken just as the time ran out: sent on its way
		}
		searching = true
	}
}

// leave removes w from the idle list, unless runTask or a worker has taken it already.
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
