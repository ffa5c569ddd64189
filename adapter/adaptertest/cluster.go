package adaptertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockgate/sockgate/adapter"
)

// clusterWait bounds every wait for a message to cross the cluster; a passing run never
// waits for it.
const clusterWait = 10 * time.Second

// runCluster runs the cluster cases on nodes (2 or more) in-process nodes built by c.
func runCluster(t *testing.T, nodes int, c Factory) {
	t.Helper()
	for _, tc := range clusterCases {
		t.Run(tc.name, func(t *testing.T) {
			fs := c(t, nodes)
			cl := &cluster{}
			for i, f := range fs {
				ns := &Namespace{NameValue: "/test"}
				a, err := f(ns)
				if err != nil {
					t.Fatalf("node %d: %v", i, err)
				}
				if err := a.Init(context.Background()); err != nil {
					t.Fatalf("node %d: Init: %v", i, err)
				}
				t.Cleanup(func() {
					if err := a.Close(); err != nil {
						t.Errorf("node %d: Close: %v", i, err)
					}
				})
				cl.nodes = append(cl.nodes, a)
				cl.nss = append(cl.nss, ns)
			}
			cl.waitServers(t)
			tc.run(t, cl)
		})
	}
}

var clusterCases = []struct {
	name string
	run  func(t *testing.T, c *cluster)
}{
	{"broadcast selection across nodes", testClusterBroadcast},
	{"flags across nodes", testClusterFlags},
	{"binary across nodes", testClusterBinary},
	{"broadcast with acks across nodes", testClusterAcks},
	{"fetch sockets across nodes", testClusterFetch},
	{"remote join, leave and disconnect across nodes", testClusterRemoteOps},
	{"server-side emit across nodes", testClusterServerSideEmit},
}

type cluster struct {
	nodes []adapter.Adapter
	nss   []*Namespace
}

func (c *cluster) waitServers(t *testing.T) {
	t.Helper()
	eventually(t, "every node counted", func() bool {
		for _, a := range c.nodes {
			n, err := a.ServerCount(context.Background())
			if err != nil || n != len(c.nodes) {
				return false
			}
		}
		return true
	})
}

// eventually polls cond until it holds or clusterWait passes. Messages between nodes
// cross an external server, so there is no in-process event to wait on.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(clusterWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v", what, clusterWait)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// count returns how many packets with exactly this data s received.
func count(s *Socket, data string) int {
	n := 0
	for _, p := range s.Delivered() {
		if string(p.Data) == data {
			n++
		}
	}
	return n
}

// settle makes node from broadcast a marker to everyone and waits until every socket has
// it: messages from one node on one route arrive in order, so anything it sent before on
// that route has arrived too.
func (c *cluster) settle(t *testing.T, from int, socks []*Socket) {
	t.Helper()
	c.mark(t, from, nil, socks)
}

// settleRooms is settle for a broadcast to rooms. An adapter may publish a broadcast to
// one room on a channel of that room (Node's sharded adapter in its dynamic modes does);
// on Redis Cluster that channel may live on another server than the namespace's, read
// by another connection, so nothing orders it with settle's marker. A second marker to
// the same rooms takes the broadcast's route: it is awaited at every socket in those
// rooms, so every node that could have delivered the broadcast has done so.
func (c *cluster) settleRooms(t *testing.T, from int, socks []*Socket, rooms []string) {
	t.Helper()
	c.settle(t, from, socks)
	if len(rooms) == 0 {
		return
	}
	var members []*Socket
	for _, s := range socks {
		if slices.ContainsFunc(s.A.SocketRooms(s.ID()), func(r string) bool { return slices.Contains(rooms, r) }) {
			members = append(members, s)
		}
	}
	c.mark(t, from, rooms, members)
}

// mark makes node from broadcast a marker to rooms (everyone when empty) and waits
// until every socket of socks has it.
func (c *cluster) mark(t *testing.T, from int, rooms []string, socks []*Socket) {
	t.Helper()
	marker := fmt.Sprintf(`["marker-%d"]`, time.Now().UnixNano())
	if err := c.nodes[from].Broadcast(&adapter.Packet{Namespace: "/test", Data: json.RawMessage(marker)}, adapter.BroadcastOptions{Rooms: rooms}); err != nil {
		t.Fatal(err)
	}
	eventually(t, fmt.Sprintf("marker to %q everywhere", rooms), func() bool {
		for _, s := range socks {
			if count(s, marker) == 0 {
				return false
			}
		}
		return true
	})
}

// routed waits until a broadcast to room from every node reaches each of socks: an
// adapter may subscribe to a room's channel in the background after a join (Node's
// sharded adapter in its dynamic modes does), and messages sent before are not for it.
func (c *cluster) routed(t *testing.T, room string, socks ...*Socket) {
	t.Helper()
	for from := range c.nodes {
		eventually(t, "room "+room+" routed from node "+fmt.Sprint(from), func() bool {
			probe := fmt.Sprintf(`["probe-%s-%d-%d"]`, room, from, time.Now().UnixNano())
			if err := c.nodes[from].Broadcast(&adapter.Packet{Namespace: "/test", Data: json.RawMessage(probe)}, adapter.BroadcastOptions{Rooms: []string{room}}); err != nil {
				return false
			}
			deadline := time.Now().Add(200 * time.Millisecond)
			for time.Now().Before(deadline) {
				all := true
				for _, s := range socks {
					if count(s, probe) == 0 {
						all = false
					}
				}
				if all {
					return true
				}
				time.Sleep(2 * time.Millisecond)
			}
			return false
		})
	}
}

// spread creates sockets sid(1)..sid(n) on nodes in turn: the first on node 0, the
// second on node 1, ...
func (c *cluster) spread(n int) []*Socket {
	out := make([]*Socket, n)
	for i := range out {
		out[i] = NewSocket(c.nodes[i%len(c.nodes)], sid(i+1))
	}
	return out
}

// sid returns the id of socket n: 20 characters, as socket.io's (Node's sharded adapter
// tells a socket id from a room by that length).
func sid(n int) string { return fmt.Sprintf("s%d%s", n, strings.Repeat("_", 19-len(fmt.Sprint(n)))) }

func testClusterBroadcast(t *testing.T, c *cluster) {
	socks := c.spread(3)
	s1, s2, _ := socks[0], socks[1], socks[2]
	s1.Join("a", "b")
	s2.Join("b")
	c.routed(t, "a", s1)
	c.routed(t, "b", s1, s2)
	tests := []struct {
		opts adapter.BroadcastOptions
		want []string
	}{
		{adapter.BroadcastOptions{}, []string{sid(1), sid(2), sid(3)}},
		{adapter.BroadcastOptions{Rooms: []string{"a"}}, []string{sid(1)}},
		{adapter.BroadcastOptions{Rooms: []string{"b"}}, []string{sid(1), sid(2)}},
		{adapter.BroadcastOptions{Rooms: []string{"a", "b"}}, []string{sid(1), sid(2)}},
		{adapter.BroadcastOptions{Rooms: []string{"b"}, Except: []string{sid(1)}}, []string{sid(2)}},
		{adapter.BroadcastOptions{Except: []string{"b"}}, []string{sid(3)}},
		{adapter.BroadcastOptions{Except: []string{"a", sid(3)}}, []string{sid(2)}},
		{adapter.BroadcastOptions{Rooms: []string{sid(3)}}, []string{sid(3)}},
		{adapter.BroadcastOptions{Rooms: []string{sid(2), sid(3)}}, []string{sid(2), sid(3)}},
		{adapter.BroadcastOptions{Rooms: []string{"nobody"}}, nil},
	}
	for from := range c.nodes {
		for i, tt := range tests {
			data := fmt.Sprintf(`["e-%d-%d"]`, from, i)
			if err := c.nodes[from].Broadcast(&adapter.Packet{Namespace: "/test", Data: json.RawMessage(data)}, tt.opts); err != nil {
				t.Fatal(err)
			}
			c.settleRooms(t, from, socks, tt.opts.Rooms)
			var got []string
			for _, s := range socks {
				switch n := count(s, data); {
				case n == 1:
					got = append(got, s.ID())
				case n > 1:
					t.Errorf("from node %d case %d: %s got the packet %d times", from, i, s.ID(), n)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("from node %d case %d %+v: delivered to %v, want %v", from, i, tt.opts, got, tt.want)
			}
		}
	}
}

func testClusterFlags(t *testing.T, c *cluster) {
	socks := c.spread(len(c.nodes))
	remote := socks[1]
	if err := c.nodes[0].Broadcast(&adapter.Packet{Namespace: "/test", Data: json.RawMessage(`["vol"]`), Volatile: true},
		adapter.BroadcastOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.nodes[0].Broadcast(&adapter.Packet{Namespace: "/test", Data: json.RawMessage(`["local"]`)},
		adapter.BroadcastOptions{Local: true}); err != nil {
		t.Fatal(err)
	}
	c.settle(t, 0, socks)
	if count(socks[0], `["local"]`) != 1 {
		t.Error("a local broadcast missed the local socket")
	}
	for _, s := range socks[1:] {
		if count(s, `["local"]`) != 0 {
			t.Errorf("a local broadcast reached %s on another node", s.ID())
		}
	}
	remote.mu.Lock()
	defer remote.mu.Unlock()
	for _, p := range remote.delivered {
		if string(p.Data) == `["vol"]` {
			if !p.Volatile {
				t.Error("the volatile flag did not cross the cluster")
			}
			return
		}
	}
	t.Error("the volatile broadcast did not reach the other node")
}

func testClusterBinary(t *testing.T, c *cluster) {
	socks := c.spread(len(c.nodes))
	data := `["bin",{"a":{"_placeholder":true,"num":0},"n":[1,2.5,-3,"x",null,true,{"_placeholder":true,"num":1}]}]`
	atts := [][]byte{{0, 1, 2, 255}, {}}
	if err := c.nodes[0].Broadcast(&adapter.Packet{Namespace: "/test", Data: json.RawMessage(data), Attachments: atts}, adapter.BroadcastOptions{}); err != nil {
		t.Fatal(err)
	}
	c.settle(t, 0, socks)
	for _, s := range socks[1:] {
		var got *adapter.Packet
		for _, p := range s.Delivered() {
			if bytes.HasPrefix(p.Data, []byte(`["bin"`)) {
				got = p
			}
		}
		if got == nil {
			t.Fatalf("%s did not get the binary broadcast", s.ID())
		}
		if !sameJSON(got.Data, []byte(data)) {
			t.Errorf("%s got %s, want %s", s.ID(), got.Data, data)
		}
		if len(got.Attachments) != 2 || !bytes.Equal(got.Attachments[0], atts[0]) || len(got.Attachments[1]) != 0 {
			t.Errorf("%s got attachments %v", s.ID(), got.Attachments)
		}
	}
}

func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// lastAsk returns the ack id of the last packet with data that s got with an ack.
func lastAsk(s *Socket, data string) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.delivered) - 1; i >= 0; i-- {
		p := s.delivered[i]
		if string(p.Data) == data && p.HasID {
			if _, ok := s.acks[p.ID]; ok {
				return p.ID, true
			}
		}
	}
	return 0, false
}

func testClusterAcks(t *testing.T, c *cluster) {
	socks := c.spread(2 * len(c.nodes))
	for _, s := range socks[:len(socks)-1] {
		s.Join("r") // the last socket stays out: its node still reports its count
	}
	const data = `["ask"]`
	p := &adapter.Packet{Namespace: "/test", Data: json.RawMessage(data)}
	p.ID, p.HasID = c.nss[0].NewAckID(), true
	var mu sync.Mutex
	var counts []int
	var acks []string
	err := c.nodes[0].BroadcastWithAck(p, adapter.BroadcastOptions{Rooms: []string{"r"}, Timeout: clusterWait},
		func(n int) { mu.Lock(); counts = append(counts, n); mu.Unlock() },
		func(a adapter.Ack) { mu.Lock(); acks = append(acks, string(a.Data)); mu.Unlock() })
	if err != nil {
		t.Fatal(err)
	}
	targets := socks[:len(socks)-1]
	for _, s := range targets {
		eventually(t, s.ID()+" asked", func() bool { _, ok := lastAsk(s, data); return ok })
		id, _ := lastAsk(s, data)
		if !s.Answer(id, `["from-`+s.ID()+`"]`) {
			t.Fatalf("%s: no ack registered", s.ID())
		}
	}
	eventually(t, "every count and ack", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(counts) == len(c.nodes) && len(acks) == len(targets)
	})
	c.settle(t, 0, socks)
	mu.Lock()
	defer mu.Unlock()
	total := 0
	for _, n := range counts {
		total += n
	}
	if len(counts) != len(c.nodes) || total != len(targets) {
		t.Errorf("client counts %v, want %d counts summing to %d", counts, len(c.nodes), len(targets))
	}
	for _, s := range socks {
		if n := count(s, data); (n != 1) != (s == socks[len(socks)-1]) {
			t.Errorf("%s got the event %d times", s.ID(), n)
		}
	}
	if len(acks) != len(targets) {
		t.Errorf("acks %v", acks)
	}
}

func testClusterFetch(t *testing.T, c *cluster) {
	socks := c.spread(2 * len(c.nodes))
	socks[1].Join("r")
	socks[2%len(socks)].Join("r")
	for from := range c.nodes {
		infos, err := c.nodes[from].FetchSockets(context.Background(), adapter.BroadcastOptions{})
		if err != nil {
			t.Fatalf("node %d: %v", from, err)
		}
		var ids []string
		for _, info := range infos {
			ids = append(ids, info.ID)
			if string(info.Data) != `{"id":"`+info.ID+`"}` || !slices.Contains(info.Rooms, info.ID) {
				t.Errorf("node %d: socket %+v", from, info)
			}
		}
		sort.Strings(ids)
		var want []string
		for _, s := range socks {
			want = append(want, s.ID())
		}
		sort.Strings(want)
		if !slices.Equal(ids, want) {
			t.Errorf("node %d: FetchSockets = %v, want %v", from, ids, want)
		}
		infos, err = c.nodes[from].FetchSockets(context.Background(), adapter.BroadcastOptions{Rooms: []string{"r"}, Except: []string{sid(2)}})
		if err != nil {
			t.Fatal(err)
		}
		if len(infos) != 1 || infos[0].ID != socks[2%len(socks)].ID() || !slices.Contains(infos[0].Rooms, "r") {
			t.Errorf("node %d: FetchSockets(r except s2) = %+v", from, infos)
		}
		infos, err = c.nodes[from].FetchSockets(context.Background(), adapter.BroadcastOptions{Rooms: []string{"empty"}})
		if err != nil || len(infos) != 0 {
			t.Errorf("node %d: FetchSockets(empty) = %v, %v", from, infos, err)
		}
	}
}

func testClusterRemoteOps(t *testing.T, c *cluster) {
	socks := c.spread(len(c.nodes))
	target := socks[1]
	c.nodes[0].AddSockets(adapter.BroadcastOptions{Rooms: []string{target.ID()}}, []string{"vip"})
	eventually(t, "remote join", func() bool { return slices.Contains(target.A.SocketRooms(target.ID()), "vip") })
	c.nodes[0].AddSockets(adapter.BroadcastOptions{Except: []string{"vip"}}, []string{"rest"})
	eventually(t, "join of the others", func() bool {
		for _, s := range socks {
			if s != target && !slices.Contains(s.A.SocketRooms(s.ID()), "rest") {
				return false
			}
		}
		return true
	})
	c.settle(t, 0, socks)
	if slices.Contains(target.A.SocketRooms(target.ID()), "rest") {
		t.Error("except did not hold for a remote join")
	}
	c.nodes[0].DelSockets(adapter.BroadcastOptions{}, []string{"vip"})
	eventually(t, "remote leave", func() bool { return !slices.Contains(target.A.SocketRooms(target.ID()), "vip") })
	c.nodes[len(c.nodes)-1].DisconnectSockets(adapter.BroadcastOptions{Rooms: []string{"rest"}}, true)
	eventually(t, "remote disconnect", func() bool {
		for _, s := range socks {
			if d, _ := s.Disconnected(); s != target && !d {
				return false
			}
		}
		return true
	})
	c.settle(t, len(c.nodes)-1, []*Socket{target})
	if d, _ := target.Disconnected(); d {
		t.Error("a socket outside the room was disconnected")
	}
	if _, closeConn := socks[0].Disconnected(); !closeConn {
		t.Error("close=true did not cross the cluster")
	}
}

func testClusterServerSideEmit(t *testing.T, c *cluster) {
	args := []json.RawMessage{json.RawMessage(`"hello"`), json.RawMessage(`1`), json.RawMessage(`{"x":[true]}`)}
	if err := c.nodes[0].ServerSideEmit(args); err != nil {
		t.Fatal(err)
	}
	eventually(t, "server-side emit on every other node", func() bool {
		for _, ns := range c.nss[1:] {
			ns.mu.Lock()
			n := len(ns.Received)
			ns.mu.Unlock()
			if n == 0 {
				return false
			}
		}
		return true
	})
	for i, ns := range c.nss[1:] {
		ns.mu.Lock()
		got := ns.Received[0]
		ns.mu.Unlock()
		if len(got) != 3 || !sameJSON(got[2], args[2]) || string(got[1]) != "1" {
			t.Errorf("node %d received %s", i+1, got)
		}
	}
	start := time.Now()
	replies, err := c.nodes[0].ServerSideEmitWithAck(context.Background(), args)
	if err != nil {
		t.Fatal(err)
	}
	if len(replies) != len(c.nodes)-1 {
		t.Fatalf("%d replies, want %d: %s", len(replies), len(c.nodes)-1, replies)
	}
	for _, r := range replies {
		if string(r) != `"ok"` {
			t.Errorf("reply %s", r)
		}
	}
	if d := time.Since(start); d > clusterWait/4 {
		t.Errorf("replies took %v", d)
	}
	c.nss[0].mu.Lock()
	defer c.nss[0].mu.Unlock()
	if len(c.nss[0].Received) != 0 {
		t.Errorf("the sender received its own server-side emit: %s", c.nss[0].Received)
	}
}
