package gateway

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestWorkersReuseAndBound(t *testing.T) {
	var p workers
	var wg, started sync.WaitGroup
	done := make(chan struct{})
	// More jobs at once than idle workers are kept, each running on a goroutine of its own
	// (a worker that finishes a job would take the waiting ones itself).
	for i := 0; i < maxIdleWorkers+10; i++ {
		wg.Add(1)
		started.Add(1)
		p.runTask(funcTask(func() {
			defer wg.Done()
			started.Done()
			<-done
		}))
	}
	started.Wait()
	close(done)
	wg.Wait()
	// Every worker has finished its job; at most maxIdleWorkers stay. On a loaded machine
	// some may already have ended (workerIdle), and the count then never reaches the
	// bound: stop looking after a while.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		p.mu.Lock()
		n := len(p.idle)
		p.mu.Unlock()
		if n == maxIdleWorkers {
			break
		}
		if n > maxIdleWorkers {
			t.Fatalf("%d idle workers, want at most %d", n, maxIdleWorkers)
		}
		wg.Add(1)
		p.runTask(funcTask(wg.Done)) // lets the last workers park
		wg.Wait()
	}
	// A job goes to an idle worker rather than a new goroutine.
	ran := make(chan struct{})
	p.runTask(funcTask(func() { close(ran) }))
	<-ran
	// Idle workers end after workerIdle; goleak in TestMain checks that none is left.
}

// TestWorkersBlockedTaskStallsOnlyItself: tasks waiting in the shared queue are taken by
// the running worker one after another, yet none waits behind one that blocks: every
// blocking task gets a goroutine of its own, the tasks queued behind it (also by a task
// that then blocks) all run, and once all is done no worker is left on its way. Run on one
// processor, where a woken worker runs only when the running one blocks, and on the
// machine's.
func TestWorkersBlockedTaskStallsOnlyItself(t *testing.T) {
	for _, procs := range []int{1, runtime.GOMAXPROCS(0)} {
		prev := runtime.GOMAXPROCS(procs)
		var p workers
		release := make(chan struct{})
		const blockers, quick = 20, 200
		started := make(chan int, blockers+quick)
		var done sync.WaitGroup
		done.Add(blockers + quick + 1)
		// A task that queues quick and blocking tasks, then blocks itself.
		p.runTask(funcTask(func() {
			defer done.Done()
			for i := 0; i < quick+blockers; i++ {
				blocks := i%(quick/blockers+1) == 0 && i/(quick/blockers+1) < blockers
				p.runTask(funcTask(func() {
					defer done.Done()
					started <- i
					if blocks {
						<-release
					}
				}))
			}
			<-release
		}))
		seen := make(map[int]bool)
		timeout := time.After(10 * time.Second)
		for len(seen) < quick+blockers {
			select {
			case i := <-started:
				seen[i] = true
			case <-timeout:
				t.Fatalf("GOMAXPROCS %d: %d of %d tasks ran while %d blocked", procs, len(seen), quick+blockers, blockers+1)
			}
		}
		close(release)
		done.Wait()
		// Let the workers park, then check the pool's books.
		for deadline := time.Now().Add(5 * time.Second); ; {
			p.mu.Lock()
			searching, waiting := p.searching, len(p.tasks)-p.head
			p.mu.Unlock()
			if waiting != 0 || searching < 0 {
				t.Fatalf("GOMAXPROCS %d: %d tasks waiting, %d searching after all ran", procs, waiting, searching)
			}
			if searching == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("GOMAXPROCS %d: %d workers still searching", procs, searching)
			}
			runtime.Gosched()
		}
		runtime.GOMAXPROCS(prev)
	}
}

// TestWorkersBurstRunsInOrderOnFewWorkers: a burst of quick tasks queued at once runs in
// arrival order on one processor, by the worker already running (and the one it sent on
// its way) rather than one goroutine each.
func TestWorkersBurstRunsInOrderOnFewWorkers(t *testing.T) {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	var p workers
	const n = 500
	var order []int // appended by the tasks, read after done
	var goroutines int
	done := make(chan struct{})
	base := runtime.NumGoroutine()
	for i := 0; i < n; i++ {
		p.runTask(funcTask(func() {
			order = append(order, i)
			if len(order) == n {
				goroutines = runtime.NumGoroutine() - base
				close(done)
			}
		}))
	}
	<-done
	for i, v := range order {
		if v != i {
			t.Fatalf("task %d ran as number %d", v, i)
		}
	}
	if goroutines > 4 {
		t.Errorf("%d goroutines more while a burst of %d quick tasks ran, want a few", goroutines, n)
	}
}

// TestWorkersQueueStaysBoundedWhileNeverEmpty keeps a few tasks waiting at all times
// while many more pass through the queue: its array stays sized for what waits.
func TestWorkersQueueStaysBoundedWhileNeverEmpty(t *testing.T) {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	var p workers
	const waiting, total = 8, 20000
	var mu sync.Mutex // guards ran and maxCap
	var ran, maxCap int
	done := make(chan struct{})
	var step func()
	step = func() {
		// Runs on a worker; each task queues the next, so the queue never empties.
		p.mu.Lock()
		c := cap(p.tasks)
		p.mu.Unlock()
		mu.Lock()
		ran++
		n := ran
		maxCap = max(maxCap, c)
		mu.Unlock()
		switch {
		case n < total-waiting+1:
			p.runTask(funcTask(step))
		case n == total:
			close(done)
		}
	}
	for range waiting {
		p.runTask(funcTask(step))
	}
	<-done
	mu.Lock()
	defer mu.Unlock()
	if maxCap > 4*waiting {
		t.Errorf("the queue's array grew to %d with at most %d tasks waiting", maxCap, waiting+1)
	}
}

// BenchmarkWorkersRun is one job handed to a parked worker and waited for.
func BenchmarkWorkersRun(b *testing.B) {
	var p workers
	done := make(chan struct{})
	job := funcTask(func() { done <- struct{}{} })
	b.ReportAllocs()
	for b.Loop() {
		p.runTask(job)
		<-done
	}
}
