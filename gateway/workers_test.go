package gateway

import (
	"sync"
	"testing"
	"time"
)

func TestWorkersReuseAndBound(t *testing.T) {
	var p workers
	var wg sync.WaitGroup
	done := make(chan struct{})
	// More jobs at once than idle workers are kept.
	for i := 0; i < maxIdleWorkers+10; i++ {
		wg.Add(1)
		p.runTask(funcTask(func() {
			defer wg.Done()
			<-done
		}))
	}
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
