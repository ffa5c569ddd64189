package interop

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sockgate/sockgate/adapter"
	"github.com/sockgate/sockgate/adapter/redis"
	"github.com/sockgate/sockgate/gateway"
	"github.com/sockgate/sockgate/internal/redistest"
	"github.com/sockgate/sockgate/interop/interoptest"
)

// fast is how quickly a request operation must complete: well under the 2 s requests
// timeout both nodes use, so that a response that only a timeout ends fails the test.
const fast = 700 * time.Millisecond

// sel is a selection of sockets, as io.to(...).except(...) builds it.
type sel struct {
	Rooms    []string `json:"rooms,omitempty"`
	Except   []string `json:"except,omitempty"`
	Volatile bool     `json:"volatile,omitempty"`
	Local    bool     `json:"local,omitempty"`
	// NoCompress is Node's compress(false); sockgate's operators have no such flag.
	NoCompress bool   `json:"-"`
	Nsp        string `json:"nsp,omitempty"`
}

// side is one node of the mixed cluster, Node (N) or sockgate (G), seen through the same
// operations.
type side interface {
	name() string
	emit(t *testing.T, s sel, event string, args ...any)
	emitWithAck(t *testing.T, s sel, timeout time.Duration, event string, args ...any) ([]json.RawMessage, time.Duration)
	fetch(t *testing.T, s sel) ([]fetched, time.Duration)
	socketsJoin(t *testing.T, s sel, room string)
	socketsLeave(t *testing.T, s sel, room string)
	disconnect(t *testing.T, s sel, closeConn bool)
	serverSideEmit(t *testing.T, args ...any)
	serverSideEmitWithAck(t *testing.T, args ...any) ([]json.RawMessage, string, time.Duration)
	serverSideEmitsReceived() []json.RawMessage
}

type fetched struct {
	ID        string          `json:"id"`
	Rooms     []string        `json:"rooms"`
	Data      json.RawMessage `json:"data"`
	Handshake json.RawMessage `json:"handshake"`
}

type nodeSide struct{ n *nodeNode }

func (s nodeSide) name() string { return "N" }

func (s nodeSide) fields(x sel) map[string]any {
	f := map[string]any{"rooms": x.Rooms, "except": x.Except, "volatile": x.Volatile, "local": x.Local, "nsp": orSlash(x.Nsp)}
	if x.NoCompress {
		f["compress"] = false
	}
	return f
}

func orSlash(nsp string) string {
	if nsp == "" {
		return "/"
	}
	return nsp
}

func (s nodeSide) emit(t *testing.T, x sel, event string, args ...any) {
	f := s.fields(x)
	f["event"], f["args"] = event, nonNilArgs(args)
	s.n.call("emit", f)
}

func nonNilArgs(args []any) []any {
	if args == nil {
		return []any{}
	}
	return args
}

func (s nodeSide) emitWithAck(t *testing.T, x sel, timeout time.Duration, event string, args ...any) ([]json.RawMessage, time.Duration) {
	f := s.fields(x)
	f["event"], f["args"], f["timeout"] = event, nonNilArgs(args), timeout.Milliseconds()
	var r struct {
		Acks []json.RawMessage `json:"acks"`
		Ms   int64             `json:"ms"`
	}
	mustJSON(t, s.n.call("emitWithAck", f), &r)
	return r.Acks, time.Duration(r.Ms) * time.Millisecond
}

func (s nodeSide) fetch(t *testing.T, x sel) ([]fetched, time.Duration) {
	var r struct {
		Sockets []fetched `json:"sockets"`
		Ms      int64     `json:"ms"`
	}
	mustJSON(t, s.n.call("fetchSockets", s.fields(x)), &r)
	return r.Sockets, time.Duration(r.Ms) * time.Millisecond
}

func (s nodeSide) socketsJoin(t *testing.T, x sel, room string) {
	f := s.fields(x)
	f["target"] = room
	s.n.call("socketsJoin", f)
}

func (s nodeSide) socketsLeave(t *testing.T, x sel, room string) {
	f := s.fields(x)
	f["target"] = room
	s.n.call("socketsLeave", f)
}

func (s nodeSide) disconnect(t *testing.T, x sel, closeConn bool) {
	f := s.fields(x)
	f["close"] = closeConn
	s.n.call("disconnectSockets", f)
}

func (s nodeSide) serverSideEmit(t *testing.T, args ...any) {
	s.n.call("serverSideEmit", map[string]any{"args": args})
}

func (s nodeSide) serverSideEmitWithAck(t *testing.T, args ...any) ([]json.RawMessage, string, time.Duration) {
	var r struct {
		Replies []json.RawMessage `json:"replies"`
		Error   string            `json:"error"`
		Ms      int64             `json:"ms"`
	}
	mustJSON(t, s.n.call("serverSideEmitWithAck", map[string]any{"args": args}), &r)
	return r.Replies, r.Error, time.Duration(r.Ms) * time.Millisecond
}

func (s nodeSide) serverSideEmitsReceived() []json.RawMessage { return s.n.serverSideEmits() }

type goSide struct {
	srv *gateway.Server
	// mu-free: received is appended by a handler and read after a wait.
	received *syncList
}

func (s goSide) name() string { return "G" }

func (s goSide) op(x sel) gateway.BroadcastOperator {
	o := nsOf(s.srv, orSlash(x.Nsp)).To(x.Rooms...).Except(x.Except...)
	if x.Volatile {
		o = o.Volatile()
	}
	if x.Local {
		o = o.Local()
	}
	return o
}

// goArgs turns interoptest.Bin values into []byte, the binary type the gateway sends as
// binary (a Bin would go as the JSON object its MarshalJSON writes).
func goArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = goValue(a)
	}
	return out
}

func goValue(v any) any {
	switch t := v.(type) {
	case interoptest.Bin:
		return []byte(t)
	case []any:
		return goArgs(t)
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = goValue(e)
		}
		return out
	}
	return v
}

func (s goSide) emit(t *testing.T, x sel, event string, args ...any) {
	t.Helper()
	if err := s.op(x).Emit(event, goArgs(args)...); err != nil {
		t.Fatalf("G emit: %v", err)
	}
}

func (s goSide) emitWithAck(t *testing.T, x sel, timeout time.Duration, event string, args ...any) ([]json.RawMessage, time.Duration) {
	t.Helper()
	start := time.Now()
	acks, err := s.op(x).Timeout(timeout).EmitWithAck(context.Background(), event, goArgs(args)...)
	d := time.Since(start)
	if err != nil {
		t.Fatalf("G emitWithAck: %v after %v (%d acks)", err, d, len(acks))
	}
	out := make([]json.RawMessage, len(acks))
	for i, a := range acks {
		v, err := a.Value(0)
		if err != nil {
			t.Fatalf("G ack %d: %v", i, err)
		}
		out[i], _ = json.Marshal(wireValue(v))
	}
	return out, d
}

func (s goSide) fetch(t *testing.T, x sel) ([]fetched, time.Duration) {
	t.Helper()
	start := time.Now()
	socks, err := s.op(x).FetchSockets(context.Background())
	d := time.Since(start)
	if err != nil {
		t.Fatalf("G fetchSockets: %v", err)
	}
	out := make([]fetched, len(socks))
	for i, r := range socks {
		h, _ := json.Marshal(map[string]any{"address": r.Handshake().Address, "url": r.Handshake().URL,
			"issued": r.Handshake().Time.UnixMilli(), "query": r.Handshake().Query, "headers": r.Handshake().Headers})
		out[i] = fetched{ID: r.ID(), Rooms: r.Rooms(), Data: r.Data(), Handshake: h}
	}
	return out, d
}

func (s goSide) socketsJoin(t *testing.T, x sel, room string)  { s.op(x).SocketsJoin(room) }
func (s goSide) socketsLeave(t *testing.T, x sel, room string) { s.op(x).SocketsLeave(room) }
func (s goSide) disconnect(t *testing.T, x sel, closeConn bool) {
	s.op(x).DisconnectSockets(closeConn)
}

func (s goSide) serverSideEmit(t *testing.T, args ...any) {
	t.Helper()
	if err := nsOf(s.srv, "/").ServerSideEmit(args[0].(string), args[1:]...); err != nil {
		t.Fatalf("G serverSideEmit: %v", err)
	}
}

func (s goSide) serverSideEmitWithAck(t *testing.T, args ...any) ([]json.RawMessage, string, time.Duration) {
	start := time.Now()
	replies, err := nsOf(s.srv, "/").ServerSideEmitWithAck(context.Background(), args[0].(string), args[1:]...)
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	return replies, msg, time.Since(start)
}

func (s goSide) serverSideEmitsReceived() []json.RawMessage { return s.received.all() }

type syncList struct {
	ch chan json.RawMessage
}

func (l *syncList) all() []json.RawMessage {
	var out []json.RawMessage
	for {
		select {
		case v := <-l.ch:
			out = append(out, v)
		default:
			for _, v := range out {
				l.ch <- v
			}
			return out
		}
	}
}

func mustJSON(t *testing.T, raw json.RawMessage, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
}

// mixed is a cluster of one Node node and one sockgate node on one Redis, with one client
// on each ("/" and "/chat" sockets on one connection per node).
type mixed struct {
	t          *testing.T // the whole test, which owns the nodes and clients
	kind       string
	redis      *redistest.Server
	key        string
	d          *interoptest.Driver
	n          *nodeNode
	g          *gateway.Server
	N, G       side
	cN, cG     *interoptest.Socket
	idN, idG   string
	chN, chG   *interoptest.Socket
	gURL       string
	markerSeq  int
	rawClient  *goredis.Client
	nodeExtras []string
	adapters   adapters
	sseTimeout time.Duration // how long an unanswered serverSideEmitWithAck waits
	goConfig   gateway.Config
	polling    bool     // clients stay on long-polling
	transports []string // the clients' transports
	cluster    *redistest.Cluster
	stopGoNode func() // stops the sockgate node and closes its adapter
	nodeUID    string // Node's adapter uid of "/", once asked
	goUID      string // sockgate's, once found
}

func startMixed(t *testing.T, kind string, nodeExtra ...string) *mixed {
	t.Helper()
	return startMixedWith(t, gateway.Config{}, kind, nodeExtra...)
}

func startMixedWith(t *testing.T, cfg gateway.Config, kind string, nodeExtra ...string) *mixed {
	t.Helper()
	return startMixedFull(t, cfg, []string{"websocket"}, kind, nodeExtra...)
}

// startMixedFull starts the mixed cluster, its clients using transports.
func startMixedFull(t *testing.T, cfg gateway.Config, transports []string, kind string, nodeExtra ...string) *mixed {
	t.Helper()
	m := &mixed{t: t, kind: kind, d: interoptest.Start(t), key: "interop", nodeExtras: nodeExtra, sseTimeout: 2 * time.Second, goConfig: cfg}
	if kind == "sharded-on-cluster" {
		m.kind = "sharded"
		m.cluster = redistest.StartCluster(t)
		m.nodeExtras = append(nodeExtra, "--redis-cluster", strings.Join(m.cluster.Addrs(), ","))
	} else {
		m.redis = redistest.Start(t)
		m.rawClient = m.redis.Client()
	}
	if m.kind != "classic" {
		// Node's ClusterAdapter waits for server-side-emit replies 5 s, a fixed value.
		m.sseTimeout = 5 * time.Second
	}
	m.transports = transports
	m.polling = slices.Equal(transports, []string{"polling"})
	m.startN(t)
	m.startG(t)
	m.waitCount(t, 2)
	m.connectN(t)
	m.connectG(t)
	// Warm-up: a broadcast from each side reaches both clients, so the subscriptions are live.
	for _, from := range []side{m.N, m.G} {
		m.settle(t, from)
	}
	return m
}

// redisURL is the Redis server the nodes join ("" on a Redis Cluster).
func (m *mixed) redisURL() string {
	if m.redis == nil {
		return ""
	}
	return m.redis.URL()
}

// startN starts the Node node (again, after stopN).
func (m *mixed) startN(t *testing.T) {
	t.Helper()
	m.n = startNodeNode(t, m.redisURL(), m.kind, m.key, "N", m.nodeExtras...)
	m.N = nodeSide{m.n}
}

// goAdapter builds a sockgate adapter of the cluster's kind; close releases it (also
// done at cleanup).
func (m *mixed) goAdapter(t *testing.T) (f adapter.Factory, close func()) {
	t.Helper()
	var closer interface{ Close() error }
	switch m.kind {
	case "classic":
		c, err := redis.New(redis.Config{URL: m.redisURL(), Key: m.key, RequestsTimeout: 2 * time.Second, Logger: quietLog,
			PublishOnSpecificResponseChannel: slices.Contains(m.nodeExtras, "--specific-response")})
		if err != nil {
			t.Fatal(err)
		}
		f, closer = c.Adapter, c
	case "sharded":
		cfg := redis.ShardedConfig{ChannelPrefix: m.key, SubscriptionMode: m.shardedMode(), Logger: quietLog}
		if m.cluster != nil {
			cc := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: m.cluster.Addrs()})
			t.Cleanup(func() { _ = cc.Close() })
			cfg.Client = cc
		} else {
			cfg.URL = m.redisURL()
		}
		c, err := redis.NewSharded(cfg)
		if err != nil {
			t.Fatal(err)
		}
		f, closer = c.Adapter, c
	case "streams":
		c, err := redis.NewStreams(redis.StreamsConfig{URL: m.redisURL(), StreamName: m.key, ChannelPrefix: m.key, Logger: quietLog})
		if err != nil {
			t.Fatal(err)
		}
		f, closer = c.Adapter, c
	default:
		t.Fatalf("unknown adapter %s", m.kind)
	}
	var once sync.Once
	close = func() { once.Do(func() { _ = closer.Close() }) }
	t.Cleanup(close)
	return f, close
}

// shardedMode is the subscription mode of the sharded nodes.
func (m *mixed) shardedMode() string {
	mode := "dynamic"
	for i, a := range m.nodeExtras {
		if a == "--sharded-mode" && i+1 < len(m.nodeExtras) {
			mode = m.nodeExtras[i+1]
		}
	}
	return mode
}

// startG starts the sockgate node (again, after stopG), with a new adapter.
func (m *mixed) startG(t *testing.T) {
	t.Helper()
	f, closeAdapter := m.goAdapter(t)
	m.adapters.reset()
	received := &syncList{ch: make(chan json.RawMessage, 1000)}
	g, url, stopSrv := startStoppableGoNode(t, m.goConfig, m.adapters.wrap(f), "G")
	m.g, m.gURL = g, url
	m.stopGoNode = func() {
		stopSrv()
		closeAdapter()
	}
	nsOf(m.g, "/").OnServerSideEmit("note", func(args gateway.Args, _ func(any)) {
		raw := []json.RawMessage{json.RawMessage(`"note"`)}
		for i := 0; i < args.Len(); i++ {
			raw = append(raw, args.Raw(i))
		}
		b, _ := json.Marshal(raw)
		received.ch <- b
	})
	nsOf(m.g, "/").OnServerSideEmit("hold", func(gateway.Args, func(any)) {})
	m.G = goSide{srv: m.g, received: received}
}

// waitCount waits until both nodes count n nodes in "/" and "/chat".
func (m *mixed) waitCount(t *testing.T, n int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d nodes counted", n), func() bool {
		var nc int
		mustJSON(t, m.n.call("serverCount", nil), &nc)
		return nc == n && m.adapters.serverCount("/") == n && m.adapters.serverCount("/chat") == n
	})
}

// count is side x's count of nodes in "/".
func (m *mixed) count(t *testing.T, x side) int {
	t.Helper()
	if x.name() == "G" {
		return m.adapters.serverCount("/")
	}
	var n int
	mustJSON(t, m.n.call("serverCount", nil), &n)
	return n
}

// connectN connects the client of the Node node, on "/" and "/chat".
func (m *mixed) connectN(t *testing.T) {
	t.Helper()
	m.cN, m.idN, m.chN = m.connect(t, m.n.url())
}

// connectG connects the client of the sockgate node, on "/" and "/chat".
func (m *mixed) connectG(t *testing.T) {
	t.Helper()
	m.cG, m.idG, m.chG = m.connect(t, m.gURL)
}

func (m *mixed) connect(t *testing.T, url string) (c *interoptest.Socket, id string, ch *interoptest.Socket) {
	t.Helper()
	c = m.d.Connect(t, url, interoptest.Options{Transports: m.transports})
	id = c.WaitConnect(wait).ID
	ch = m.d.Connect(t, "", interoptest.Options{Namespace: "/chat", Manager: c.Manager()})
	ch.WaitConnect(wait)
	for _, s := range []*interoptest.Socket{c, ch} {
		s.Reply("ackme", "ack-from-"+s.Name())
	}
	return c, id, ch
}

var quietLog = slog.New(slog.DiscardHandler)

// clients returns the two "/" clients.
func (m *mixed) clients() []*interoptest.Socket { return []*interoptest.Socket{m.cN, m.cG} }

// settle broadcasts a marker from side x to every client of "/" and "/chat" and waits
// until all have it: whatever x sent before has arrived too.
func (m *mixed) settle(t *testing.T, x side) {
	t.Helper()
	m.markerSeq++
	ev := fmt.Sprintf("marker-%d", m.markerSeq)
	x.emit(t, sel{}, ev)
	x.emit(t, sel{Nsp: "/chat"}, ev)
	for _, c := range []*interoptest.Socket{m.cN, m.cG, m.chN, m.chG} {
		c.WaitEvent(ev, wait)
	}
}

// routed waits until a broadcast to room from side x reaches every one of cs: with the
// sharded adapters' dynamic modes a node subscribes to a room's channel in the
// background after a join, so the first messages may go before.
func (m *mixed) routed(t *testing.T, x side, room string, cs ...*interoptest.Socket) {
	t.Helper()
	ev := "probe-" + room
	deadline := time.Now().Add(wait)
	for i := 0; ; i++ {
		x.emit(t, sel{Rooms: []string{room}}, ev, i)
		m.settle(t, x)
		all := true
		for _, c := range cs {
			if len(c.Events(ev)) == 0 {
				all = false
			}
		}
		if all {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("room %s not routed from %s within %v", room, x.name(), wait)
		}
	}
}

// got returns how many times each client received event.
func got(event string, cs ...*interoptest.Socket) []int {
	out := make([]int, len(cs))
	for i, c := range cs {
		out[i] = len(c.Events(event))
	}
	return out
}

func want(t *testing.T, what string, event string, counts []int, cs ...*interoptest.Socket) {
	t.Helper()
	if g := got(event, cs...); !slices.Equal(g, counts) {
		t.Errorf("%s: event %q received %v times by %v, want %v", what, event, g, names(cs), counts)
	}
}

func names(cs []*interoptest.Socket) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name()
	}
	return out
}

// TestClusterClassic runs REDIS-ADAPTER.md's interop list on a Node socket.io 4.8 node
// with @socket.io/redis-adapter 8.3.0 and a sockgate node with adapter/redis, in both
// directions.
func TestClusterClassic(t *testing.T) {
	m := startMixed(t, "classic")
	runClusterCases(t, m)
}

// TestClusterClassicSpecificResponse is TestClusterClassic with
// publishOnSpecificResponseChannel on both nodes: responses go to the requester's own
// channel (server-side emit acks still to the shared one).
func TestClusterClassicSpecificResponse(t *testing.T) {
	m := startMixed(t, "classic", "--specific-response")
	runClusterCases(t, m)
}

// TestClusterClassicPolling is TestClusterClassic with clients that stay on HTTP
// long-polling.
func TestClusterClassicPolling(t *testing.T) {
	m := startMixedFull(t, gateway.Config{}, []string{"polling"}, "classic")
	runClusterCases(t, m)
}

// TestClusterShardedOnRedisCluster runs the sharded list on a Redis Cluster of three
// masters started by the test: node-redis's cluster client on the Node node, a
// goredis.ClusterClient on the sockgate node.
func TestClusterShardedOnRedisCluster(t *testing.T) {
	m := startMixed(t, "sharded-on-cluster", "--sharded-mode", "dynamic")
	runClusterCases(t, m)
}

// TestClusterStreams is the same with Node's @socket.io/redis-streams-adapter 0.3.1 and
// sockgate's streams adapter.
func TestClusterStreams(t *testing.T) {
	m := startMixed(t, "streams")
	runClusterCases(t, m)
}

// TestClusterSharded is the same with Node's createShardedAdapter and sockgate's sharded
// adapter (SSUBSCRIBE/SPUBLISH), in each subscription mode.
func TestClusterSharded(t *testing.T) {
	for _, mode := range []string{"static", "dynamic", "dynamic-private"} {
		t.Run(mode, func(t *testing.T) {
			m := startMixed(t, "sharded", "--sharded-mode", mode)
			runClusterCases(t, m)
		})
	}
}

type clusterCase struct {
	name string
	run  func(t *testing.T, m *mixed, x, y side)
}

func runClusterCases(t *testing.T, m *mixed) {
	var table []string
	for _, c := range clusterCases {
		for _, dir := range [][2]side{{m.N, m.G}, {m.G, m.N}} {
			x, y := dir[0], dir[1]
			label := c.name + "/" + x.name() + "->" + y.name()
			ok := t.Run(label, func(t *testing.T) { c.run(t, m, x, y) })
			table = append(table, fmt.Sprintf("| %s | %s | %s |", c.name, x.name()+"→"+y.name(), map[bool]string{true: "pass", false: "FAIL"}[ok]))
		}
	}
	table = append(table, runExtraCases(t, m)...)
	t.Logf("interop with Node's %s adapter %v:\n| case | direction | result |\n|---|---|---|\n%s", m.kind, m.nodeExtras, strings.Join(table, "\n"))
}

// client returns the client on side x's node.
func (m *mixed) client(x side) *interoptest.Socket {
	if x.name() == "N" {
		return m.cN
	}
	return m.cG
}

func (m *mixed) id(x side) string {
	if x.name() == "N" {
		return m.idN
	}
	return m.idG
}

var clusterCases = []clusterCase{
	{"A1 emit to all (bare channel)", func(t *testing.T, m *mixed, x, y side) {
		ev := "all-" + x.name()
		x.emit(t, sel{}, ev, "all")
		m.settle(t, x)
		want(t, "io.emit", ev, []int{1, 1}, m.clients()...)
	}},
	{"A2 rooms", func(t *testing.T, m *mixed, x, y side) {
		ev := "room1-" + x.name()
		x.emit(t, sel{Rooms: []string{"room1"}}, ev, 1)
		x.emit(t, sel{Rooms: []string{"nosuchroom"}}, ev+"-none", 1)
		m.settle(t, x)
		want(t, "to(room1)", ev, []int{1, 1}, m.clients()...)
		want(t, "to(nosuchroom)", ev+"-none", []int{0, 0}, m.clients()...)
	}},
	{"A3 several rooms and except", func(t *testing.T, m *mixed, x, y side) {
		ev := "multi-" + x.name()
		x.emit(t, sel{Rooms: []string{"room1", m.idN, m.idG}, Except: []string{"x"}}, ev)
		x.emit(t, sel{Rooms: []string{"room1"}, Except: []string{m.id(y)}}, ev+"-except")
		m.settle(t, x)
		want(t, "to(room1, sids).except(x)", ev, []int{1, 1}, m.clients()...)
		want(t, "to(room1).except(other sid)", ev+"-except", map[bool][]int{true: {1, 0}, false: {0, 1}}[x.name() == "N"], m.clients()...)
	}},
	{"A4 socket.broadcast", func(t *testing.T, m *mixed, x, y side) {
		c := m.client(x)
		c.Emit("broadcast", "hi-"+x.name())
		m.client(y).WaitEvent("from-socket", wait)
		m.settle(t, x)
		count := func(c *interoptest.Socket) int {
			n := 0
			for _, r := range c.Events("from-socket") {
				if r.Args.Value(0) == "hi-"+x.name() {
					n++
				}
			}
			return n
		}
		if n := count(c); n != 0 {
			t.Errorf("the sender received its own socket.broadcast %d times", n)
		}
		if n := count(m.client(y)); n != 1 {
			t.Errorf("the other client got the socket.broadcast %d times, want 1", n)
		}
	}},
	{"A5 to the other node's socket id", func(t *testing.T, m *mixed, x, y side) {
		ev := "private-" + x.name()
		x.emit(t, sel{Rooms: []string{m.id(y)}}, ev, "p")
		m.settle(t, x)
		want(t, "to(sid)", ev, map[bool][]int{true: {0, 1}, false: {1, 0}}[x.name() == "N"], m.clients()...)
	}},
	{"A6 payload fidelity", func(t *testing.T, m *mixed, x, y side) {
		ev := "payload-" + x.name()
		args := []any{"s", 42, int64(1) << 40, 2.5, nil, map[string]any{"a": []any{1, map[string]any{"b": true}}},
			interoptest.Bin{1, 2, 3, 255}, map[string]any{"nested": interoptest.Bin{}}}
		x.emit(t, sel{}, ev, args...)
		m.settle(t, x)
		for _, c := range m.clients() {
			r := c.Events(ev)
			if len(r) != 1 {
				t.Fatalf("%s got %d", c.Name(), len(r))
			}
			wantArgs, _ := json.Marshal(args)
			gotArgs, _ := json.Marshal(r[0].Args)
			if !sameJSON(gotArgs, wantArgs) {
				t.Errorf("%s got %s, want %s", c.Name(), gotArgs, wantArgs)
			}
		}
	}},
	{"A7 flags volatile and local", func(t *testing.T, m *mixed, x, y side) {
		ev := "flags-" + x.name()
		x.emit(t, sel{Volatile: true}, ev+"-volatile")
		x.emit(t, sel{Local: true}, ev+"-local")
		if x.name() == "N" { // sockgate has no compress flag
			x.emit(t, sel{NoCompress: true}, ev+"-nocompress")
		}
		m.settle(t, x)
		if x.name() == "N" {
			want(t, "compress(false)", ev+"-nocompress", []int{1, 1}, m.clients()...)
		}
		if m.polling {
			// A volatile packet is dropped for a polling client with no request waiting
			// (both servers do so): at most once.
			for i, n := range got(ev+"-volatile", m.clients()...) {
				if n > 1 {
					t.Errorf("volatile: client %d got it %d times", i, n)
				}
			}
		} else {
			want(t, "volatile", ev+"-volatile", []int{1, 1}, m.clients()...)
		}
		want(t, "local", ev+"-local", map[bool][]int{true: {1, 0}, false: {0, 1}}[x.name() == "N"], m.clients()...)
	}},
	{"A8 namespace isolation", func(t *testing.T, m *mixed, x, y side) {
		ev := "nsp-" + x.name()
		x.emit(t, sel{Nsp: "/chat"}, ev)
		m.settle(t, x)
		want(t, "/chat broadcast on /chat", ev, []int{1, 1}, m.chN, m.chG)
		want(t, "/chat broadcast on /", ev, []int{0, 0}, m.clients()...)
	}},
	{"B9 socketsJoin and socketsLeave", func(t *testing.T, m *mixed, x, y side) {
		room := "room3-" + x.name()
		x.socketsJoin(t, sel{}, room)
		m.settle(t, x)
		m.routed(t, y, room, m.clients()...)
		ev := "r3-" + x.name()
		y.emit(t, sel{Rooms: []string{room}}, ev)
		m.settle(t, y)
		want(t, "emit to the joined room from the other node", ev, []int{1, 1}, m.clients()...)
		x.socketsLeave(t, sel{Rooms: []string{room}}, room)
		m.settle(t, x)
		y.emit(t, sel{Rooms: []string{room}}, ev+"-after")
		m.settle(t, y)
		want(t, "emit to the left room", ev+"-after", []int{0, 0}, m.clients()...)
	}},
	{"B10 one remote socket joins", func(t *testing.T, m *mixed, x, y side) {
		room := "vip-" + x.name()
		x.socketsJoin(t, sel{Rooms: []string{m.id(y)}}, room)
		m.settle(t, x)
		m.routed(t, x, room, m.client(y))
		ev := "vip-" + x.name()
		x.emit(t, sel{Rooms: []string{room}}, ev)
		m.settle(t, x)
		want(t, "emit to vip", ev, map[bool][]int{true: {0, 1}, false: {1, 0}}[x.name() == "N"], m.clients()...)
	}},
	{"C13 fetchSockets", func(t *testing.T, m *mixed, x, y side) {
		socks, d := x.fetch(t, sel{})
		if d > fast {
			t.Errorf("fetchSockets took %v", d)
		}
		ids := map[string]fetched{}
		for _, s := range socks {
			ids[s.ID] = s
		}
		if len(socks) != 2 || ids[m.idN].ID == "" || ids[m.idG].ID == "" {
			t.Fatalf("fetchSockets = %+v, want %s and %s", socks, m.idN, m.idG)
		}
		for id, server := range map[string]string{m.idN: "N", m.idG: "G"} {
			s := ids[id]
			if !slices.Contains(s.Rooms, id) || !slices.Contains(s.Rooms, "room1") {
				t.Errorf("%s rooms %v", id, s.Rooms)
			}
			if !sameJSON(s.Data, []byte(`{"server":"`+server+`"}`)) {
				t.Errorf("%s data %s", id, s.Data)
			}
			var h map[string]any
			_ = json.Unmarshal(s.Handshake, &h)
			if h["address"] == "" || h["address"] == nil || h["url"] == nil || h["issued"] == nil || h["issued"] == float64(0) {
				t.Errorf("%s handshake %s", id, s.Handshake)
			}
		}
	}},
	{"C14 fetchSockets of an empty room is fast", func(t *testing.T, m *mixed, x, y side) {
		socks, d := x.fetch(t, sel{Rooms: []string{"emptyroom"}})
		if len(socks) != 0 || d > fast {
			t.Errorf("fetchSockets(emptyroom) = %v in %v", socks, d)
		}
	}},
	{"C15 fetchSockets with except", func(t *testing.T, m *mixed, x, y side) {
		socks, d := x.fetch(t, sel{Rooms: []string{"room1"}, Except: []string{m.idN}})
		if len(socks) != 1 || socks[0].ID != m.idG || d > fast {
			t.Errorf("fetchSockets(room1 except cN) = %+v in %v", socks, d)
		}
	}},
	{"D18 serverSideEmit", func(t *testing.T, m *mixed, x, y side) {
		before := len(x.serverSideEmitsReceived())
		tag := "from-" + x.name()
		x.serverSideEmit(t, "note", 1, tag)
		var last json.RawMessage
		waitFor(t, "the other node's handler", func() bool {
			for _, r := range y.serverSideEmitsReceived() {
				if strings.Contains(string(r), tag) {
					last = r
					return true
				}
			}
			return false
		})
		if !sameJSON(last, []byte(`["note",1,"`+tag+`"]`)) {
			t.Errorf("the other node got %s", last)
		}
		m.settle(t, x)
		if after := x.serverSideEmitsReceived(); len(after) != before {
			t.Errorf("the sender's own handler ran: %s", after[before:])
		}
	}},
	{"D19 serverSideEmitWithAck", func(t *testing.T, m *mixed, x, y side) {
		replies, errMsg, d := x.serverSideEmitWithAck(t, "ping")
		if errMsg != "" || len(replies) != 1 || string(replies[0]) != `"pong-from-`+y.name()+`"` || d > fast {
			t.Errorf("serverSideEmitWithAck = %s, %q in %v; want [\"pong-from-%s\"] fast", replies, errMsg, d, y.name())
		}
	}},
	{"D20 serverSideEmitWithAck timeout", func(t *testing.T, m *mixed, x, y side) {
		replies, errMsg, d := x.serverSideEmitWithAck(t, "hold")
		if errMsg != "timeout reached: only 0 responses received out of 1" || len(replies) != 0 {
			t.Errorf("serverSideEmitWithAck(hold) = %s, %q", replies, errMsg)
		}
		if d < m.sseTimeout-100*time.Millisecond || d > m.sseTimeout+2*time.Second {
			t.Errorf("the timeout came after %v, want about %v", d, m.sseTimeout)
		}
	}},
	{"E22 broadcast with acks", func(t *testing.T, m *mixed, x, y side) {
		before := got("ackme", m.clients()...)
		acks, d := x.emitWithAck(t, sel{}, 2*time.Second, "ackme", 1)
		var got []string
		for _, a := range acks {
			var s string
			_ = json.Unmarshal(a, &s)
			got = append(got, s)
		}
		sort.Strings(got)
		wantAcks := []string{"ack-from-" + m.cN.Name(), "ack-from-" + m.cG.Name()}
		sort.Strings(wantAcks)
		if !slices.Equal(got, wantAcks) || d > fast {
			t.Errorf("emitWithAck = %v in %v, want %v fast", got, d, wantAcks)
		}
		m.settle(t, x)
		want(t, "emitWithAck delivery", "ackme", []int{before[0] + 1, before[1] + 1}, m.clients()...)
	}},
	{"E23 broadcast with acks, no remote recipient", func(t *testing.T, m *mixed, x, y side) {
		acks, d := x.emitWithAck(t, sel{Rooms: []string{m.id(x)}}, 2*time.Second, "ackme", 2)
		if len(acks) != 1 || d > fast {
			t.Errorf("emitWithAck to own client = %s in %v", acks, d)
		}
	}},
	{"E24 exactly once, scalar acks", func(t *testing.T, m *mixed, x, y side) {
		// Each broadcast with acks reaches each selected client exactly once (a node that
		// took its own request's echo for another node's would deliver it twice to its
		// own client), and every ack is the client's one value, not an array of it.
		ev := "once-" + x.name()
		for i, s := range []struct {
			sel  sel
			want map[*interoptest.Socket]int
		}{
			{sel{}, map[*interoptest.Socket]int{m.cN: 1, m.cG: 1}},
			{sel{Rooms: []string{"room1"}}, map[*interoptest.Socket]int{m.cN: 1, m.cG: 1}},
			{sel{Rooms: []string{m.id(x)}}, map[*interoptest.Socket]int{m.client(x): 1}},
			{sel{Rooms: []string{m.id(y)}}, map[*interoptest.Socket]int{m.client(y): 1}},
			{sel{Rooms: []string{"room1"}, Except: []string{m.id(y)}}, map[*interoptest.Socket]int{m.client(x): 1}},
		} {
			e := fmt.Sprintf("%s-%d", ev, i)
			for _, c := range m.clients() {
				c.Reply(e, "ack-from-"+c.Name())
			}
			acks, d := x.emitWithAck(t, s.sel, 2*time.Second, e)
			m.settle(t, x)
			var wantAcks, gotAcks []string
			for _, c := range m.clients() {
				if n := len(c.Events(e)); n != s.want[c] {
					t.Errorf("%+v: %s received the event %d times, want %d", s.sel, c.Name(), n, s.want[c])
				}
				if s.want[c] == 1 {
					wantAcks = append(wantAcks, `"ack-from-`+c.Name()+`"`)
				}
			}
			for _, a := range acks {
				gotAcks = append(gotAcks, string(a))
			}
			slices.Sort(gotAcks)
			slices.Sort(wantAcks)
			if !slices.Equal(gotAcks, wantAcks) || d > fast {
				t.Errorf("%+v: acks %v in %v, want %v fast", s.sel, gotAcks, d, wantAcks)
			}
		}
	}},
	{"C16 RemoteSocket emitWithAck to the other node's socket", func(t *testing.T, m *mixed, x, y side) {
		acks, d := x.emitWithAck(t, sel{Rooms: []string{m.id(y)}}, time.Second, "ackme", 3)
		if len(acks) != 1 || string(acks[0]) != `"ack-from-`+m.client(y).Name()+`"` || d > fast {
			t.Errorf("to(sid).emitWithAck = %s in %v", acks, d)
		}
	}},
	{"C16b RemoteSocket emit and join", func(t *testing.T, m *mixed, x, y side) {
		// The sockets fetchSockets returns act on the other node: emit reaches that
		// socket only, join puts it (only it) in a room.
		ev, room := "remote-emit-"+x.name(), "remote-room-"+x.name()
		if x.name() == "N" {
			var n int
			mustJSON(t, m.n.call("remoteEmit", map[string]any{"rooms": []string{m.id(y)}, "event": ev, "args": []any{"r"}}), &n)
			mustJSON(t, m.n.call("remoteJoin", map[string]any{"rooms": []string{m.id(y)}, "room": room}), &n)
			if n != 1 {
				t.Fatalf("Node fetched %d sockets, want 1", n)
			}
		} else {
			socks, err := nsOf(m.g, "/").To(m.id(y)).FetchSockets(context.Background())
			if err != nil || len(socks) != 1 {
				t.Fatalf("FetchSockets = %d sockets, %v", len(socks), err)
			}
			if err := socks[0].Emit(ev, "r"); err != nil {
				t.Fatal(err)
			}
			socks[0].Join(room)
		}
		m.settle(t, x)
		want(t, "RemoteSocket.emit", ev, map[bool][]int{true: {0, 1}, false: {1, 0}}[x.name() == "N"], m.clients()...)
		m.routed(t, x, room, m.client(y))
		if n := len(m.client(x).Events("probe-" + room)); n != 0 {
			t.Errorf("the requester's own client is in the room (%d probes)", n)
		}
	}},
	{"B12 disconnectSockets on the other node", func(t *testing.T, m *mixed, x, y side) {
		for _, closeConn := range []bool{false, true} {
			c := m.d.Connect(t, map[bool]string{true: m.n.url(), false: m.gURL}[y.name() == "N"], interoptest.Options{Transports: []string{"websocket"}})
			id := c.WaitConnect(wait).ID
			x.disconnect(t, sel{Rooms: []string{id}}, closeConn)
			if reason := c.WaitDisconnect(wait); reason != "io server disconnect" {
				t.Errorf("close=%v: the client saw %q", closeConn, reason)
			}
		}
	}},
}

// wireValue replaces []byte by interoptest.Bin, the form the Node side reports binaries in.
func wireValue(v any) any {
	switch t := v.(type) {
	case []byte:
		return interoptest.Bin(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = wireValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = wireValue(e)
		}
		return out
	}
	return v
}

// extraNode is one more sockgate node of the mixed cluster, with one client.
type extraNode struct {
	stop func()
}

// extraGoNode starts a third node (sockgate, the same adapter) with one client on "/".
func (m *mixed) extraGoNode(t *testing.T) *extraNode {
	t.Helper()
	f, closeAdapter := m.goAdapter(t)
	_, url, stopSrv := startStoppableGoNode(t, m.goConfig, f, "G2")
	cl := m.d.Connect(t, url, interoptest.Options{Transports: []string{"websocket"}, NoReconnection: true})
	cl.WaitConnect(wait)
	stopped := false
	return &extraNode{stop: func() {
		if stopped {
			return
		}
		stopped = true
		cl.Close()
		stopSrv()
		closeAdapter()
	}}
}
