package gen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/sockgate/sockgate/bench/hist"
	"github.com/sockgate/sockgate/bench/proto"
	"github.com/sockgate/sockgate/bench/wsclient"
)

// pollWait bounds one long-polling GET: the server answers within a ping interval
// (25 s) even when it has nothing else to send.
const pollWait = 60 * time.Second

// errPollClosed reports a close packet received over polling.
var errPollClosed = errors.New("gen: polling session closed by the server")

// pollSession is an Engine.IO session that stays on long-polling: one keep-alive
// connection carries its GETs, one at a time, and a second one, dialled on the first
// send, its POSTs. It holds no buffer but the two connections' own.
type pollSession struct {
	ctx   context.Context // the run's, for dialling the POST connection (and again after Connection: close)
	cl    *client
	path  string // the polling query with the sid
	get   *wsclient.HTTPConn
	extra [][]byte // packets that came with the CONNECT reply, read first

	postMu sync.Mutex
	post   *wsclient.HTTPConn
	closed bool
}

// openPoll opens a session that stays on polling and joins the main namespace.
func (cl *client) openPoll(ctx context.Context, rooms string) (*pollSession, error) {
	h, sid, extra, err := cl.pollHandshake(ctx, rooms, time.Now().Add(openTimeout))
	if err != nil {
		return nil, err
	}
	return &pollSession{ctx: ctx, cl: cl, path: cl.query("polling", sid, ""), get: h, extra: extra}, nil
}

// Abort resets both connections; a read or send under way fails.
func (s *pollSession) Abort() error {
	s.postMu.Lock()
	s.closed = true
	post := s.post
	s.postMu.Unlock()
	if post != nil {
		_ = post.Abort()
	}
	return s.get.Abort()
}

// send POSTs one payload (packets joined by 0x1e) and waits for the server's "ok".
func (s *pollSession) send(ctx context.Context, payload []byte) error {
	s.postMu.Lock()
	defer s.postMu.Unlock()
	if s.closed {
		return errPollClosed
	}
	if s.post == nil {
		tc, err := s.cl.dialer.Dial(s.ctx, s.cl.addr)
		if err != nil {
			return err
		}
		s.post = wsclient.NewHTTPConn(tc, s.cl.addr)
		s.post.SetRedial(func() (*net.TCPConn, error) { return s.cl.dialer.Dial(s.ctx, s.cl.addr) })
	}
	status, body, err := s.post.Do("POST", s.path, payload, time.Now().Add(ackWait))
	if err != nil {
		return err
	}
	if status != 200 || string(body) != "ok" {
		return fmt.Errorf("%w: POST status %d %q", ErrUnexpect, status, truncated(body))
	}
	return nil
}

// read runs the GET loop until the session fails or fn returns false: it answers
// Engine.IO pings with a POSTed pong, skips noops, and hands every other packet to fn.
func (s *pollSession) read(ctx context.Context, fn func(p []byte) bool) error {
	for _, p := range s.extra {
		if !fn(p) {
			return nil
		}
	}
	s.extra = nil
	for {
		status, body, err := s.get.Do("GET", s.path, nil, time.Now().Add(pollWait))
		if err != nil {
			return err
		}
		if status != 200 {
			return fmt.Errorf("%w: GET status %d", ErrUnexpect, status)
		}
		stop, ping, closed := false, false, false
		proto.SplitPayload(body, func(p []byte) {
			switch {
			case stop || closed:
			case bytes.Equal(p, proto.Ping):
				ping = true
			case bytes.Equal(p, proto.Noop):
			case len(p) == 1 && p[0] == '1':
				closed = true
			default:
				stop = !fn(p)
			}
		})
		if closed {
			return errPollClosed
		}
		if ping {
			if err := s.send(ctx, proto.Pong); err != nil {
				return err
			}
		}
		if stop {
			return nil
		}
	}
}

func truncated(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

// pollIdleRead keeps a polling session alive: it answers pings, ignores the rest.
func pollIdleRead(ctx context.Context) func(*pollSession) error {
	return func(s *pollSession) error {
		return s.read(ctx, func([]byte) bool { return true })
	}
}

// ackSession is a polling session whose reader hands the ack ids it sees to its loop.
type ackSession struct {
	*pollSession
	acks chan uint64
	next uint64 // the next ack id; ids go on across steps, so a late ack is never taken for a new one
}

// ackPoll runs closed loops of echo round trips over polling sessions at each client
// count: a client POSTs its echo, then waits for the ack to come back in a GET.
func (r *run) ackPoll(ctx context.Context) error {
	n := r.o.PollAckClients[len(r.o.PollAckClients)-1]
	var p pool[*ackSession]
	defer p.closeAll()
	start := time.Now()
	fails := openMany(ctx, n, r.o.InFlight, func(int) (*ackSession, error) {
		s, err := r.cl.openPoll(ctx, "")
		if err != nil {
			return nil, err
		}
		return &ackSession{pollSession: s, acks: make(chan uint64, 4)}, nil
	}, func(_ int, a *ackSession, _ time.Duration) {
		p.add(a, func(a *ackSession) error {
			return a.read(ctx, func(b []byte) bool {
				if id, _, ok := proto.ParseAck(b); ok {
					select {
					case a.acks <- id:
					default: // a stale ack nobody waits for
					}
				}
				return true
			})
		})
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	if fails > 0 {
		return fmt.Errorf("gen: %d of %d polling sessions failed to open", fails, n)
	}
	r.logf("%d polling sessions open in %v", n, time.Since(start).Round(time.Millisecond))
	sessions := p.snapshot()
	if r.o.Warmup > 0 {
		if _, err := r.pollLoop(ctx, sessions[:min(100, n)], r.o.Warmup); err != nil {
			return err
		}
	}
	for _, c := range r.o.PollAckClients {
		res, err := r.pollLoop(ctx, sessions[:c], r.o.StepTime)
		if err != nil {
			return err
		}
		res.Step = fmt.Sprintf("c=%d", c)
		r.logf("%s %.0f rtt/s p50=%v p99=%v gen=%.0f%%", res.Step, res.Values["rtt_per_s"],
			time.Duration(res.Latency.P50), time.Duration(res.Latency.P99), 100*res.GenCPU)
		if err := r.out.emit(res); err != nil {
			return err
		}
	}
	return nil
}

// pollLoop runs one closed-loop client per session for d; round trips finished after d
// are not counted.
func (r *run) pollLoop(ctx context.Context, sessions []*ackSession, d time.Duration) (Result, error) {
	var h hist.Histogram
	var wg sync.WaitGroup
	errs := make(chan error, len(sessions))
	m := startMeter(r.o.PID)
	end := time.Now().Add(d)
	lctx, cancel := context.WithDeadline(ctx, end)
	defer cancel()
	for _, a := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.pollClient(lctx, a, &h, end.UnixNano()); err != nil {
				errs <- err
				cancel()
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	res := Result{Scenario: ScenarioAckPoll, Values: map[string]float64{"clients": float64(len(sessions))}}
	count := h.Count()
	m.stop(&res, float64(count))
	res.Values["rtt_per_s"] = round3(float64(count) / d.Seconds())
	s := h.Summarize()
	res.Latency = &s
	return res, nil
}

// pollClient is one closed-loop client over polling; it returns nil when ctx ends (the
// step is over) and an error when an ack does not come.
func (r *run) pollClient(ctx context.Context, a *ackSession, h *hist.Histogram, endNs int64) error {
	var buf []byte
	timer := time.NewTimer(ackWait)
	defer timer.Stop()
	for ctx.Err() == nil {
		id := a.next
		a.next++
		t := time.Now().UnixNano()
		buf = proto.AppendEcho(buf[:0], id, t, r.o.Pad)
		if err := a.send(ctx, buf); err != nil {
			return fmt.Errorf("gen: polling echo: %w", err)
		}
		timer.Reset(ackWait)
	wait:
		for {
			select {
			case got := <-a.acks:
				if got == id {
					break wait
				}
			case <-timer.C:
				return fmt.Errorf("gen: no ack %d over polling in %v", id, ackWait)
			case <-ctx.Done():
				return nil
			}
		}
		if now := time.Now().UnixNano(); now <= endNs {
			h.Record(now - t)
		}
	}
	return nil
}

// bcastPoll runs the broadcast ladder to a room of sessions kept on polling; the sender
// is a websocket session.
func (r *run) bcastPoll(ctx context.Context) error {
	var f fanout
	var p pool[*pollSession]
	defer p.closeAll()
	n := r.o.PollRoom
	room := "p" + itoa(n)
	start := time.Now()
	fails := openMany(ctx, n, r.o.InFlight, func(int) (*pollSession, error) {
		return r.cl.openPoll(ctx, room)
	}, func(_ int, s *pollSession, _ time.Duration) {
		p.add(s, func(s *pollSession) error {
			return s.read(ctx, func(b []byte) bool {
				f.record(b)
				return true
			})
		})
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	if fails > 0 {
		return fmt.Errorf("gen: %d of %d polling sessions failed to open", fails, n)
	}
	r.logf("%d polling sessions open in %v", n, time.Since(start).Round(time.Millisecond))
	var wp pool[*wsclient.Conn]
	defer wp.closeAll()
	sender, err := r.cl.openWS(ctx, "")
	if err != nil {
		return err
	}
	wp.add(sender, idleRead)
	if r.o.Warmup > 0 {
		if _, err := r.step(ctx, &f, sender, room, n, r.o.PollRates[0], r.o.Warmup, 1, r.o.Pad, r.o.Drain); err != nil {
			return err
		}
	}
	return r.ladder(ctx, ScenarioBcastPoll, &f, sender, room, n, r.o.PollRates, p.dropped.Load)
}
