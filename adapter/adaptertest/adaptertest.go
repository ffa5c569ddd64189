package adaptertest

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockgate/sockgate/adapter"
	"github.com/sockgate/sockgate/internal/adapterpacket"
	"github.com/sockgate/sockgate/internal/engineio"
)

// Factory returns the adapter factories of n nodes joined in one fresh cluster (for a
// Redis adapter: n servers sharing one Redis and a key prefix no other test uses). Each
// factory stands for one server process and is called once. A single-process adapter is
// a cluster of one node: its Factory returns adapter.NewMemory, for example. Cluster
// adapters start whatever they need and stop it in tb.Cleanup.
type Factory func(tb testing.TB, n int) []adapter.Factory

// Run runs the behaviour suite against the adapters built by f: the cases every adapter
// must pass, on a single node; the connection state recovery cases when the adapter
// implements adapter.SessionStore (offsets on recoverable packets only, sessions restored
// once with exactly the packets they missed, in order, the packets broadcast during a
// restore, expiry, and the bounds of adapter.Recovery); and, when nodes is 2 or more, the
// cluster cases on that many nodes: what one node does must reach the sockets of the
// others exactly once.
func Run(t *testing.T, nodes int, f Factory) {
	t.Helper()
	var sessionStore bool
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := newSingle(t, f, &Namespace{NameValue: "/test"})
			if i == 0 {
				_, sessionStore = a.(adapter.SessionStore)
			}
			c.run(t, a)
		})
	}
	if sessionStore {
		runRecovery(t, f)
	}
	if nodes >= 2 {
		runCluster(t, nodes, f)
	}
}

// newSingle builds and starts the adapter of ns on a cluster of one node, closed when the
// test ends.
func newSingle(t *testing.T, f Factory, ns *Namespace) adapter.Adapter {
	t.Helper()
	fs := f(t, 1)
	if len(fs) != 1 {
		t.Fatalf("Factory returned %d factories for 1 node", len(fs))
	}
	a, err := fs[0](ns)
	if err != nil {
		t.Fatalf("adapter: %v", err)
	}
	if err := a.Init(context.Background()); err != nil {
		t.Fatalf("Init: %v", err)
	}
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return a
}

var cases = []struct {
	name string
	run  func(t *testing.T, a adapter.Adapter)
}{
	{"rooms of a socket", testSocketRooms},
	{"broadcast selection", testBroadcastSelection},
	{"own id room shared with a joiner", testOwnRoomShared},
	{"broadcast encodes once", testBroadcastSharesPacket},
	{"broadcast with acks", testBroadcastWithAck},
	{"sockets and fetch", testSocketsAndFetch},
	{"remote join, leave and disconnect", testRemoteOps},
	{"server count", testServerCount},
}

// Socket is a recording adapter.Socket whose Join, Leave and Disconnect act on the
// adapter it belongs to, as a real socket does.
type Socket struct {
	IDValue string
	A       adapter.Adapter

	mu           sync.Mutex
	delivered    []*adapter.Packet
	acks         map[int64]func(adapter.Ack)
	disconnected bool
	closeConn    bool
}

var _ adapter.Socket = (*Socket)(nil)

// NewSocket returns a socket registered with a (in no room but its own).
func NewSocket(a adapter.Adapter, id string) *Socket {
	s := &Socket{IDValue: id, A: a}
	a.AddAll(s)
	return s
}

// ID implements adapter.Socket.
func (s *Socket) ID() string { return s.IDValue }

// Deliver implements adapter.Socket.
func (s *Socket) Deliver(p *adapter.Packet) {
	s.mu.Lock()
	s.delivered = append(s.delivered, p)
	s.mu.Unlock()
}

// DeliverWithAck implements adapter.Socket.
func (s *Socket) DeliverWithAck(p *adapter.Packet, ack func(adapter.Ack)) {
	s.mu.Lock()
	if s.acks == nil {
		s.acks = make(map[int64]func(adapter.Ack))
	}
	s.acks[p.ID] = ack
	s.mu.Unlock()
	s.Deliver(p)
}

// Answer acknowledges packet id with data, as the client would.
func (s *Socket) Answer(id int64, data string) bool {
	s.mu.Lock()
	fn := s.acks[id]
	delete(s.acks, id)
	s.mu.Unlock()
	if fn == nil {
		return false
	}
	fn(adapter.Ack{Data: json.RawMessage(data)})
	return true
}

// Info implements adapter.Socket.
func (s *Socket) Info() adapter.SocketInfo {
	return adapter.SocketInfo{ID: s.IDValue, Rooms: s.A.SocketRooms(s.IDValue), Data: json.RawMessage(`{"id":"` + s.IDValue + `"}`)}
}

// Join implements adapter.Socket.
func (s *Socket) Join(rooms ...string) { s.A.AddAll(s, rooms...) }

// Leave implements adapter.Socket.
func (s *Socket) Leave(room string) { s.A.Del(s, room) }

// Disconnect implements adapter.Socket.
func (s *Socket) Disconnect(closeConn bool) {
	s.mu.Lock()
	s.disconnected, s.closeConn = true, closeConn
	s.mu.Unlock()
	s.A.DelAll(s)
}

// Delivered returns the packets delivered so far.
func (s *Socket) Delivered() []*adapter.Packet {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.delivered)
}

// Disconnected reports whether Disconnect was called, and with which argument.
func (s *Socket) Disconnected() (bool, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.disconnected, s.closeConn
}

// Namespace is an adapter.Namespace that records server-side emits.
type Namespace struct {
	NameValue string
	// RecoveryValue is what Recovery returns: zero (off) unless a test sets it.
	RecoveryValue adapter.Recovery
	// OnRequest, when set, is called by ObserveRequest with its arguments. It must be safe
	// for concurrent use.
	OnRequest func(kind string, d time.Duration, err error)

	ackIDs atomic.Int64

	mu       sync.Mutex
	Received [][]json.RawMessage
}

var _ adapter.Namespace = (*Namespace)(nil)

// Name implements adapter.Namespace.
func (n *Namespace) Name() string { return n.NameValue }

// Recovery implements adapter.Namespace.
func (n *Namespace) Recovery() adapter.Recovery { return n.RecoveryValue }

// NewAckID implements adapter.Namespace.
func (n *Namespace) NewAckID() int64 { return n.ackIDs.Add(1) - 1 }

// DispatchServerSideEmit implements adapter.Namespace; it answers acks with "ok".
func (n *Namespace) DispatchServerSideEmit(args []json.RawMessage, reply func(json.RawMessage)) {
	n.mu.Lock()
	n.Received = append(n.Received, args)
	n.mu.Unlock()
	if reply != nil {
		reply(json.RawMessage(`"ok"`))
	}
}

// ObserveRequest implements adapter.Namespace; it calls OnRequest when set.
func (n *Namespace) ObserveRequest(kind string, d time.Duration, err error) {
	if n.OnRequest != nil {
		n.OnRequest(kind, d, err)
	}
}

func packet(event string) *adapter.Packet {
	return &adapter.Packet{Namespace: "/test", Data: json.RawMessage(`["` + event + `"]`)}
}

// got lists, sorted, the ids of the sockets whose last delivery is p.
func got(p *adapter.Packet, socks ...*Socket) []string {
	var ids []string
	for _, s := range socks {
		d := s.Delivered()
		if len(d) > 0 && d[len(d)-1] == p {
			ids = append(ids, s.ID())
		}
	}
	sort.Strings(ids)
	return ids
}

func testSocketRooms(t *testing.T, a adapter.Adapter) {
	s := NewSocket(a, "s1")
	s.Join("r1", "r2", "r1")
	rooms := a.SocketRooms("s1")
	if len(rooms) == 0 || rooms[0] != "s1" {
		t.Fatalf("SocketRooms = %v, want the socket's own id first", rooms)
	}
	rest := slices.Clone(rooms[1:])
	sort.Strings(rest)
	if !slices.Equal(rest, []string{"r1", "r2"}) {
		t.Fatalf("SocketRooms = %v", rooms)
	}
	s.Leave("r1")
	if rooms := a.SocketRooms("s1"); slices.Contains(rooms, "r1") {
		t.Fatalf("after Leave: %v", rooms)
	}
	a.DelAll(s)
	if rooms := a.SocketRooms("s1"); len(rooms) != 0 {
		t.Fatalf("after DelAll: %v", rooms)
	}
	p := packet("gone")
	if err := a.Broadcast(p, adapter.BroadcastOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(s.Delivered()) != 0 {
		t.Fatal("a removed socket received a broadcast")
	}
}

func testBroadcastSelection(t *testing.T, a adapter.Adapter) {
	s1, s2, s3 := NewSocket(a, "s1"), NewSocket(a, "s2"), NewSocket(a, "s3")
	s1.Join("a", "b")
	s2.Join("b")
	all := []*Socket{s1, s2, s3}
	tests := []struct {
		opts adapter.BroadcastOptions
		want []string
	}{
		{adapter.BroadcastOptions{}, []string{"s1", "s2", "s3"}},
		{adapter.BroadcastOptions{Rooms: []string{"a"}}, []string{"s1"}},
		{adapter.BroadcastOptions{Rooms: []string{"a", "b"}}, []string{"s1", "s2"}}, // each once
		{adapter.BroadcastOptions{Rooms: []string{"b"}, Except: []string{"s1"}}, []string{"s2"}},
		{adapter.BroadcastOptions{Except: []string{"b"}}, []string{"s3"}},
		{adapter.BroadcastOptions{Except: []string{"a", "s3"}}, []string{"s2"}},
		{adapter.BroadcastOptions{Rooms: []string{"s3"}}, []string{"s3"}}, // a socket id is a room
		{adapter.BroadcastOptions{Rooms: []string{"nobody"}}, nil},
	}
	for i, tt := range tests {
		before := make([]int, len(all))
		for j, s := range all {
			before[j] = len(s.Delivered())
		}
		p := packet("e")
		if err := a.Broadcast(p, tt.opts); err != nil {
			t.Fatal(err)
		}
		if g := got(p, all...); !slices.Equal(g, tt.want) {
			t.Errorf("case %d %+v: delivered to %v, want %v", i, tt.opts, g, tt.want)
		}
		for j, s := range all {
			if n := len(s.Delivered()) - before[j]; n > 1 {
				t.Errorf("case %d: %s got the packet %d times", i, s.ID(), n)
			}
		}
	}
	p := packet("v")
	p.Volatile = true
	_ = a.Broadcast(p, adapter.BroadcastOptions{})
	if d := s3.Delivered(); len(d) == 0 || !d[len(d)-1].Volatile {
		t.Error("the volatile packet did not reach the socket as volatile")
	}
}

// testOwnRoomShared checks that a socket's id room keeps reaching that socket after
// another socket joins a room of the same name: both are members, as in Node.
func testOwnRoomShared(t *testing.T, a adapter.Adapter) {
	s1, s2, s3 := NewSocket(a, "s1"), NewSocket(a, "s2"), NewSocket(a, "s3")
	s2.Join("s1")
	s3.Join("x")
	all := []*Socket{s1, s2, s3}
	tests := []struct {
		opts adapter.BroadcastOptions
		want []string
	}{
		{adapter.BroadcastOptions{Rooms: []string{"s1"}}, []string{"s1", "s2"}},
		{adapter.BroadcastOptions{Rooms: []string{"s1", "x"}}, []string{"s1", "s2", "s3"}},
		{adapter.BroadcastOptions{Rooms: []string{"s1", "s2"}}, []string{"s1", "s2"}}, // each once
		{adapter.BroadcastOptions{Except: []string{"s1"}}, []string{"s3"}},
		{adapter.BroadcastOptions{Rooms: []string{"s1"}, Except: []string{"s2"}}, []string{"s1"}},
	}
	check := func(stage string) {
		t.Helper()
		for i, tt := range tests {
			before := make([]int, len(all))
			for j, s := range all {
				before[j] = len(s.Delivered())
			}
			p := packet("own")
			if err := a.Broadcast(p, tt.opts); err != nil {
				t.Fatal(err)
			}
			if g := got(p, all...); !slices.Equal(g, tt.want) {
				t.Errorf("%s, case %d %+v: delivered to %v, want %v", stage, i, tt.opts, g, tt.want)
			}
			for j, s := range all {
				if n := len(s.Delivered()) - before[j]; n > 1 {
					t.Errorf("%s, case %d: %s got the packet %d times", stage, i, s.ID(), n)
				}
			}
		}
		ids := a.Sockets(adapter.BroadcastOptions{Rooms: []string{"s1"}})
		sort.Strings(ids)
		if !slices.Equal(ids, []string{"s1", "s2"}) {
			t.Errorf("%s: Sockets(s1) = %v, want [s1 s2]", stage, ids)
		}
	}
	check("after s2 joined s1")
	// s1 joining its own room changes nothing.
	s1.Join("s1")
	check("after s1 joined its own room")
	if rooms := a.SocketRooms("s1"); !slices.Equal(rooms, []string{"s1"}) {
		t.Errorf("SocketRooms(s1) = %v, want [s1]", rooms)
	}
	s2.Leave("s1")
	p := packet("left")
	if err := a.Broadcast(p, adapter.BroadcastOptions{Rooms: []string{"s1"}}); err != nil {
		t.Fatal(err)
	}
	if g := got(p, all...); !slices.Equal(g, []string{"s1"}) {
		t.Errorf("after s2 left room s1: delivered to %v, want [s1]", g)
	}
}

func testBroadcastSharesPacket(t *testing.T, a adapter.Adapter) {
	s1, s2 := NewSocket(a, "s1"), NewSocket(a, "s2")
	p := packet("shared")
	_ = a.Broadcast(p, adapter.BroadcastOptions{})
	d1, d2 := s1.Delivered(), s2.Delivered()
	if len(d1) != 1 || len(d2) != 1 || d1[0] != p || d2[0] != p {
		t.Fatal("recipients did not get the same packet")
	}
	messages := adapterpacket.Messages.(func(*adapter.Packet) []*engineio.Message)
	m1, m2 := messages(p), messages(p)
	if len(m1) != 1 || m1[0] != m2[0] {
		t.Fatal("Packet.Messages encoded more than once")
	}
	if got := string(m1[0].Data()); got != `2/test,["shared"]` {
		t.Fatalf("encoded %q", got)
	}
}

func testBroadcastWithAck(t *testing.T, a adapter.Adapter) {
	s1, s2 := NewSocket(a, "s1"), NewSocket(a, "s2")
	s1.Join("r")
	s2.Join("r")
	p := packet("ask")
	p.ID, p.HasID = 7, true
	var mu sync.Mutex
	var counts []int
	var acks []string
	err := a.BroadcastWithAck(p, adapter.BroadcastOptions{Rooms: []string{"r"}},
		func(n int) { mu.Lock(); counts = append(counts, n); mu.Unlock() },
		func(ack adapter.Ack) { mu.Lock(); acks = append(acks, string(ack.Data)); mu.Unlock() })
	if err != nil {
		t.Fatal(err)
	}
	if !s1.Answer(7, `["one"]`) || !s2.Answer(7, `["two"]`) {
		t.Fatal("the sockets were not asked for an ack with the packet's id")
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(counts, []int{2}) {
		t.Fatalf("client counts %v, want [2]", counts)
	}
	sort.Strings(acks)
	if !slices.Equal(acks, []string{`["one"]`, `["two"]`}) {
		t.Fatalf("acks %v", acks)
	}
}

func testSocketsAndFetch(t *testing.T, a adapter.Adapter) {
	s1, _ := NewSocket(a, "s1"), NewSocket(a, "s2")
	s1.Join("r")
	ids := a.Sockets(adapter.BroadcastOptions{})
	sort.Strings(ids)
	if !slices.Equal(ids, []string{"s1", "s2"}) {
		t.Fatalf("Sockets = %v", ids)
	}
	infos, err := a.FetchSockets(context.Background(), adapter.BroadcastOptions{Rooms: []string{"r"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || infos[0].ID != "s1" || !slices.Contains(infos[0].Rooms, "r") || string(infos[0].Data) != `{"id":"s1"}` {
		t.Fatalf("FetchSockets = %+v", infos)
	}
}

func testRemoteOps(t *testing.T, a adapter.Adapter) {
	s1, s2, s3 := NewSocket(a, "s1"), NewSocket(a, "s2"), NewSocket(a, "s3")
	s1.Join("r")
	s2.Join("r")
	a.AddSockets(adapter.BroadcastOptions{Rooms: []string{"r"}, Except: []string{"s2"}}, []string{"x", "y"})
	if rooms := a.SocketRooms("s1"); !slices.Contains(rooms, "x") || !slices.Contains(rooms, "y") {
		t.Fatalf("s1 rooms %v", rooms)
	}
	if rooms := a.SocketRooms("s2"); slices.Contains(rooms, "x") {
		t.Fatalf("s2 rooms %v", rooms)
	}
	a.DelSockets(adapter.BroadcastOptions{}, []string{"y"})
	if rooms := a.SocketRooms("s1"); slices.Contains(rooms, "y") {
		t.Fatalf("s1 rooms after DelSockets %v", rooms)
	}
	a.DisconnectSockets(adapter.BroadcastOptions{Rooms: []string{"x"}}, true)
	if d, c := s1.Disconnected(); !d || !c {
		t.Fatalf("s1 disconnected=%v close=%v", d, c)
	}
	for _, s := range []*Socket{s2, s3} {
		if d, _ := s.Disconnected(); d {
			t.Fatalf("%s was disconnected", s.ID())
		}
	}
}

func testServerCount(t *testing.T, a adapter.Adapter) {
	n, err := a.ServerCount(context.Background())
	if err != nil || n < 1 {
		t.Fatalf("ServerCount = %d, %v", n, err)
	}
	if err := a.ServerSideEmit([]json.RawMessage{json.RawMessage(`"hello"`)}); err != nil {
		t.Fatalf("ServerSideEmit: %v", err)
	}
	if n == 1 {
		replies, err := a.ServerSideEmitWithAck(context.Background(), []json.RawMessage{json.RawMessage(`"hello"`)})
		if err != nil || len(replies) != 0 {
			t.Fatalf("ServerSideEmitWithAck alone = %v, %v", replies, err)
		}
	}
}
