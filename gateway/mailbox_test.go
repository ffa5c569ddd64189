package gateway

import (
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestEventsRunInOrder sends bursts of acknowledged events, some handlers slow enough for
// the next ones to queue behind them: every socket's handler sees them in arrival order,
// and the acks come back in that order.
func TestEventsRunInOrder(t *testing.T) {
	srv, hs := newTestServer(t, Config{})
	var mu sync.Mutex
	var seen []int
	srv.OnConnection(func(s *Socket) {
		s.On("n", func(e *Event) {
			var n int
			if err := e.Args.Decode(0, &n); err != nil {
				t.Error(err)
			}
			if n%7 == 0 {
				time.Sleep(100 * time.Microsecond) // let the queue fill behind it
			}
			mu.Lock()
			seen = append(seen, n)
			mu.Unlock()
			_ = e.Ack(n)
		})
	})
	c := dialRaw(t, hs)
	c.connect("/")
	n := 0
	for burst := 0; burst < 20; burst++ {
		size := 1 + burst*9 // up to 172, within the default queue of 256
		for i := 0; i < size; i++ {
			c.send(fmt.Sprintf(`42%d["n",%d]`, n+i, n+i))
		}
		for i := 0; i < size; i++ {
			c.expect(fmt.Sprintf(`43%d[%d]`, n+i, n+i))
		}
		n += size
	}
	mu.Lock()
	defer mu.Unlock()
	for i, v := range seen {
		if v != i {
			t.Fatalf("handler saw event %d at position %d", v, i)
		}
	}
	if len(seen) != n {
		t.Fatalf("handler saw %d events of %d", len(seen), n)
	}
}

// TestSlowHandlerStallsOnlyItsSocket: while one socket's handler blocks, another
// socket's events are handled; the blocked socket's events wait and then run in order.
// Also on one processor, where the worker pool's waiting sockets are taken by the
// worker running until it blocks.
func TestSlowHandlerStallsOnlyItsSocket(t *testing.T) {
	for _, procs := range []int{runtime.GOMAXPROCS(0), 1} {
		t.Run(fmt.Sprintf("GOMAXPROCS=%d", procs), func(t *testing.T) {
			prev := runtime.GOMAXPROCS(procs)
			defer runtime.GOMAXPROCS(prev)
			testSlowHandlerStallsOnlyItsSocket(t)
		})
	}
}

func testSlowHandlerStallsOnlyItsSocket(t *testing.T) {
	srv, hs := newTestServer(t, Config{})
	release := make(chan struct{})
	blocked := make(chan struct{}, 1)
	srv.OnConnection(func(s *Socket) {
		s.On("block", func(e *Event) {
			blocked <- struct{}{}
			<-release
			_ = e.Ack("released")
		})
		s.On("echo", func(e *Event) { _ = e.Ack(e.Args.Raw(0)) })
	})
	slow, fast := dialRaw(t, hs), dialRaw(t, hs)
	slow.connect("/")
	fast.connect("/")
	slow.send(`421["block"]`)
	<-blocked
	for i := 0; i < 3; i++ {
		slow.send(`42` + strconv.Itoa(10+i) + `["echo",` + strconv.Itoa(i) + `]`)
	}
	for i := 0; i < 50; i++ {
		fast.send(fmt.Sprintf(`42%d["echo",%d]`, i, i))
		fast.expect(fmt.Sprintf(`43%d[%d]`, i, i))
	}
	// Sockets whose events arrive together, and so wait in the pool's queue together.
	others := make([]*rawClient, 4)
	for i := range others {
		others[i] = dialRaw(t, hs)
		others[i].connect("/")
	}
	for i := 0; i < 20; i++ {
		for _, c := range others {
			c.send(fmt.Sprintf(`42%d["echo",%d]`, i, i))
		}
	}
	for _, c := range others {
		for i := 0; i < 20; i++ {
			c.expect(fmt.Sprintf(`43%d[%d]`, i, i))
		}
	}
	close(release)
	slow.expect(`431["released"]`)
	for i := 0; i < 3; i++ {
		slow.expect(`43` + strconv.Itoa(10+i) + `[` + strconv.Itoa(i) + `]`)
	}
}

// TestQueueStaysBoundedWhileNeverDraining keeps a socket's queue from ever emptying, one
// event admitted per event handled, for many times its size: the queue's array stays
// within a small multiple of EventQueueSize, and the events run in order.
func TestQueueStaysBoundedWhileNeverDraining(t *testing.T) {
	const size = 8
	srv, hs := newTestServer(t, Config{EventQueueSize: size})
	started := make(chan int, size+2)
	step := make(chan struct{})
	var sock *Socket
	next := 0
	connected := make(chan struct{})
	srv.OnConnection(func(s *Socket) {
		sock = s
		s.On("n", func(e *Event) {
			var n int
			_ = e.Args.Decode(0, &n)
			started <- n
			<-step
			if n != next {
				t.Errorf("event %d ran when %d was due", n, next)
			}
			next++
		})
		close(connected)
	})
	c := dialRaw(t, hs)
	c.connect("/")
	<-connected
	c.send(`42["n",0]`)
	<-started // one runs, blocked on step ...
	sent := 1
	for ; sent <= size; sent++ { // ... and size wait
		c.send(fmt.Sprintf(`42["n",%d]`, sent))
	}
	waitQueued(t, sock, size)
	maxCap := 0
	for i := 0; i < 50*size; i++ {
		step <- struct{}{}
		<-started // the next one runs: size-1 wait
		c.send(fmt.Sprintf(`42["n",%d]`, sent))
		sent++
		waitQueued(t, sock, size)
		sock.mu.Lock()
		maxCap = max(maxCap, cap(sock.queue))
		sock.mu.Unlock()
	}
	if maxCap > 2*size+2 {
		t.Errorf("the queue's array reached %d jobs for a bound of %d", maxCap, size)
	}
	for i := 0; i < size; i++ {
		step <- struct{}{}
		<-started
	}
	step <- struct{}{}
}

// waitQueued waits until n events wait in s's queue.
func waitQueued(t *testing.T, s *Socket, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		q := len(s.queue) - int(s.qhead)
		s.mu.Unlock()
		if q == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events queued, want %d", q, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestEmitsBeforeConnectReplyKeepOrder: several emits of a connection handler wait for the
// CONNECT reply, each its own copy, and follow it in order.
func TestEmitsBeforeConnectReplyKeepOrder(t *testing.T) {
	srv, hs := newTestServer(t, Config{})
	srv.OnConnection(func(s *Socket) {
		for _, ev := range []string{"a", "b", "c"} {
			_ = s.Emit(ev, ev)
		}
	})
	c := dialRaw(t, hs)
	c.connect("/")
	for _, ev := range []string{"a", "b", "c"} {
		c.expect(`42["` + ev + `","` + ev + `"]`)
	}
}
