package interop

import (
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockgate/sockgate/gateway"
	"github.com/sockgate/sockgate/interop/interoptest"
)

// switchProxy forwards TCP connections to a target that can change: a client that
// reconnects after its connection was dropped reaches the new target, as behind a load
// balancer whose node went away.
type switchProxy struct {
	ln net.Listener

	mu     sync.Mutex
	target string
	conns  []net.Conn
	wg     sync.WaitGroup
}

func newSwitchProxy(t *testing.T, target string) *switchProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &switchProxy{ln: ln, target: target}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		_ = ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			_ = c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *switchProxy) url() string { return "http://" + p.ln.Addr().String() }

func (p *switchProxy) setTarget(addr string) {
	p.mu.Lock()
	p.target = addr
	p.mu.Unlock()
}

func (p *switchProxy) serve() {
	defer p.wg.Done()
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		target := p.target
		p.mu.Unlock()
		out, err := net.Dial("tcp", target)
		if err != nil {
			_ = in.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, in, out)
		p.mu.Unlock()
		p.wg.Add(2)
		go func() { defer p.wg.Done(); _, _ = io.Copy(out, in); _ = out.Close() }()
		go func() { defer p.wg.Done(); _, _ = io.Copy(in, out); _ = in.Close() }()
	}
}

func hostOf(url string) string { return url[len("http://"):] }

// TestClusterStreamsRecovery checks connection state recovery across nodes with the
// streams adapters: a client of one node loses its connection, both nodes broadcast to
// its room meanwhile, and it reconnects to the other node, which gives it back its socket
// (id, rooms) and the missed events exactly once, in order. In both directions.
func TestClusterStreamsRecovery(t *testing.T) {
	recoveryDirections(t, func(t *testing.T, m *mixed, from, to side, r recoveryClient) {
		c, first := r.c, r.first
		tag := from.name() + to.name()
		from.emit(t, sel{Rooms: []string{first.ID}}, "seen-"+tag)
		c.WaitEvent("seen-"+tag, wait)

		r.switchTo(to)
		c.DropConnection()
		c.WaitDisconnect(wait)
		from.emit(t, sel{Rooms: []string{"room1"}}, "missed-"+tag, 1)
		to.emit(t, sel{Rooms: []string{"room1"}}, "missed-"+tag, 2)
		from.emit(t, sel{Rooms: []string{"elsewhere"}}, "missed-"+tag, -1)

		second := c.WaitConnect(wait)
		if !second.Recovered || second.ID != first.ID {
			t.Fatalf("reconnected to %s: %+v, want recovered with id %s", to.name(), second, first.ID)
		}
		// The restored socket is in room1 on the new node.
		to.emit(t, sel{Rooms: []string{"room1"}}, "missed-"+tag, 3)
		c.WaitEvent("missed-"+tag, wait)
		c.WaitEvent("missed-"+tag, wait)
		c.WaitEvent("missed-"+tag, wait)
		m.settle(t, to)
		got := c.Events("missed-" + tag)
		var seq []any
		var offsets []string
		for _, r := range got {
			seq = append(seq, r.Args.Value(0))
			if r.Args.Len() == 2 {
				off, _ := r.Args.Value(1).(string)
				offsets = append(offsets, off)
			}
		}
		// 1 and 2 come from two nodes at about the same time: their order is the
		// stream's, which the offsets tell; 3 was sent after the recovery.
		if len(seq) != 3 || seq[2] != 3.0 || !((seq[0] == 1.0 && seq[1] == 2.0) || (seq[0] == 2.0 && seq[1] == 1.0)) {
			t.Fatalf("missed events %v, want 1 and 2 then 3, once each", seq)
		}
		if len(offsets) != 3 || !streamOrder(offsets) {
			t.Errorf("offsets %v: each event must carry its stream id, in stream order", offsets)
		}
	})
}

// TestClusterStreamsRecoveryTrimmed is case 31's last step: once the stream entry of the
// client's offset has been trimmed away, the other node does not recover the session
// (the client gets a new socket), in both directions.
func TestClusterStreamsRecoveryTrimmed(t *testing.T) {
	recoveryDirections(t, func(t *testing.T, m *mixed, from, to side, r recoveryClient) {
		c, first := r.c, r.first
		tag := "trimmed-" + from.name() + to.name()
		from.emit(t, sel{Rooms: []string{first.ID}}, tag)
		if r := c.WaitEvent(tag, wait); r.Args.Len() != 1 {
			t.Fatalf("the event carries no offset: %v", r.Args)
		}
		if err := m.rawClient.XTrimMaxLen(context.Background(), m.key, 0).Err(); err != nil {
			t.Fatal(err)
		}
		r.switchTo(to)
		c.DropConnection()
		c.WaitDisconnect(wait)
		second := c.WaitConnect(wait)
		if second.Recovered || second.ID == first.ID {
			t.Fatalf("reconnected to %s after the trim: %+v, want a new socket (first %s)", to.name(), second, first.ID)
		}
	})
}

// recoveryClient is a client connected to one node of a recovery test through a proxy
// that its next connection can be switched to the other node by.
type recoveryClient struct {
	c      *interoptest.Socket
	first  interoptest.Info // its first connection
	proxy  *switchProxy
	target map[string]string // node name -> host
}

// switchTo sends the client's next connection to node to.
func (r recoveryClient) switchTo(to side) { r.proxy.setTarget(r.target[to.name()]) }

// recoveryDirections starts a Node node and a Go node sharing a Redis stream with
// connection state recovery on, and runs f once in each direction (Node to Go, Go to
// Node), with a websocket client connected to from through a switch proxy.
func recoveryDirections(t *testing.T, f func(t *testing.T, m *mixed, from, to side, r recoveryClient)) {
	cfg := gateway.Config{ConnectionStateRecovery: gateway.ConnectionStateRecovery{MaxDisconnectionDuration: 2 * time.Minute}}
	m := startMixedWith(t, cfg, "streams", "--recovery")
	nodes := map[string]string{"N": hostOf(m.n.url()), "G": hostOf(m.gURL)}
	for _, dir := range [][2]side{{m.N, m.G}, {m.G, m.N}} {
		from, to := dir[0], dir[1]
		t.Run(from.name()+"->"+to.name(), func(t *testing.T) {
			proxy := newSwitchProxy(t, nodes[from.name()])
			c := m.d.Connect(t, proxy.url(), interoptest.Options{Transports: []string{"websocket"},
				ReconnectionDelay: 50 * time.Millisecond, ReconnectionDelayMax: 100 * time.Millisecond})
			f(t, m, from, to, recoveryClient{c: c, first: c.WaitConnect(wait), proxy: proxy, target: nodes})
		})
	}
}

// streamOrder reports whether stream ids "<ms>-<seq>" are strictly increasing.
func streamOrder(ids []string) bool {
	parse := func(id string) (uint64, uint64, bool) {
		ms, seq, ok := strings.Cut(id, "-")
		a, err1 := strconv.ParseUint(ms, 10, 64)
		b, err2 := strconv.ParseUint(seq, 10, 64)
		return a, b, ok && err1 == nil && err2 == nil
	}
	for i := 1; i < len(ids); i++ {
		am, as, ok1 := parse(ids[i-1])
		bm, bs, ok2 := parse(ids[i])
		if !ok1 || !ok2 || am > bm || (am == bm && as >= bs) {
			return false
		}
	}
	return len(ids) > 0
}
