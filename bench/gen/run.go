package gen

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"time"

	"github.com/sockgate/sockgate/bench/wsclient"
)

// Run runs o.Scenario against the server at o.Addr (several comma-separated addresses are
// the nodes of one cluster: websocket sessions are opened on each in turn), writing one JSON Result per line to
// out and progress to logw. It returns when every session it opened is closed.
func Run(ctx context.Context, o Options, out, logw io.Writer) error {
	if err := o.Validate(); err != nil {
		return err
	}
	src, err := wsclient.ParseSources(o.Sources)
	if err != nil {
		return err
	}
	// The generator's heap is small and short-lived; collecting less often leaves more of
	// its core to the sockets.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	cl := &client{addr: o.Addr, path: o.Path, dialer: &wsclient.Dialer{Sources: src}}
	if addrs := strings.Split(o.Addr, ","); len(addrs) > 1 {
		// A cluster: websocket sessions spread over its nodes.
		cl.addr, cl.spread = addrs[0], addrs
	}
	r := &run{
		o:   o,
		cl:  cl,
		out: newEmitter(out),
		log: logw,
	}
	switch o.Scenario {
	case ScenarioIdle:
		return r.idle(ctx)
	case ScenarioBcast:
		return r.bcast(ctx)
	case ScenarioAck:
		return r.ack(ctx)
	case ScenarioStormWS:
		return r.storm(ctx, false)
	case ScenarioStormPoll:
		return r.storm(ctx, true)
	case ScenarioSlow:
		return r.slow(ctx)
	case ScenarioIdlePoll:
		return r.idlePoll(ctx)
	case ScenarioAckPoll:
		return r.ackPoll(ctx)
	case ScenarioBcastPoll:
		return r.bcastPoll(ctx)
	}
	return fmt.Errorf("gen: unknown scenario %q", o.Scenario)
}

type run struct {
	o   Options
	cl  *client
	out *emitter
	log io.Writer
}

func (r *run) logf(format string, args ...any) {
	fmt.Fprintf(r.log, "gen %s: "+format+"\n", append([]any{r.o.Scenario}, args...)...)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// openPool opens n websocket sessions into p, rooms(i) naming each one's rooms, and reads
// each with read. It fails when any opening fails.
func (r *run) openPool(ctx context.Context, p *pool[*wsclient.Conn], n int, rooms func(int) string, read func(*wsclient.Conn) error) error {
	start := time.Now()
	fails := openMany(ctx, n, r.o.InFlight, func(i int) (*wsclient.Conn, error) {
		return r.cl.openWS(ctx, rooms(i))
	}, func(_ int, c *wsclient.Conn, _ time.Duration) { p.add(c, read) })
	if err := ctx.Err(); err != nil {
		return err
	}
	if fails > 0 {
		return fmt.Errorf("gen: %d of %d sessions failed to open", fails, n)
	}
	r.logf("%d sessions open in %v", n, time.Since(start).Round(time.Millisecond))
	return nil
}

func noRooms(int) string { return "" }

// idleRead keeps a session alive: it answers pings and ignores everything else.
func idleRead(c *wsclient.Conn) error {
	return readFrames(c, func([]byte) bool { return true })
}
