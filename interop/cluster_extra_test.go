package interop

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sockgate/sockgate/interop/interoptest"
)

// extraCases are the interop cases that hold for one adapter kind only, or need more
// than the two nodes; runExtraCases runs them after the common list.
var extraCases = []struct {
	name  string
	kinds []string // adapter kinds it applies to
	dirs  bool     // run in both directions (else once, x = N)
	run   func(t *testing.T, m *mixed, x, y side)
}{
	{"F26 golden shapes of every message", nil, false, func(t *testing.T, m *mixed, _, _ side) { runGolden(t, m) }},
	{"A6b a Date from Node", nil, false, func(t *testing.T, m *mixed, _, _ side) {
		// notepack.io writes a Date as msgpack timestamp -1; every client receives the
		// ISO string JSON.stringify gives.
		m.n.call("emit", map[string]any{"event": "date", "args": []any{map[string]string{"$date": "2026-01-02T03:04:05.678Z"}}, "nsp": "/"})
		m.settle(t, m.N)
		for _, c := range m.clients() {
			r := c.Events("date")
			if len(r) != 1 || r[0].Args.Value(0) != "2026-01-02T03:04:05.678Z" {
				t.Errorf("%s got %v", c.Name(), r)
			}
		}
	}},
	{"C17 allRooms", []string{"classic"}, true, func(t *testing.T, m *mixed, x, y side) {
		var rooms []string
		var d time.Duration
		if x.name() == "N" {
			var r struct {
				Rooms []string `json:"rooms"`
				Ms    int64    `json:"ms"`
			}
			mustJSON(t, m.n.call("allRooms", map[string]any{}), &r)
			rooms, d = r.Rooms, time.Duration(r.Ms)*time.Millisecond
		} else {
			lister, ok := m.adapters.get("/").(interface {
				AllRooms(context.Context) ([]string, error)
			})
			if !ok {
				t.Fatal("the classic adapter has no AllRooms")
			}
			start := time.Now()
			var err error
			if rooms, err = lister.AllRooms(context.Background()); err != nil {
				t.Fatal(err)
			}
			d = time.Since(start)
		}
		for _, want := range []string{"room1", m.idN, m.idG} {
			if !slices.Contains(rooms, want) {
				t.Errorf("allRooms %v lacks %s", rooms, want)
			}
		}
		if d > fast {
			t.Errorf("allRooms took %v", d)
		}
	}},
	{"E25 ack values: object and binary", nil, true, func(t *testing.T, m *mixed, x, y side) {
		for _, c := range m.clients() {
			c.Reply("ackbin", map[string]any{"from": c.Name(), "bin": interoptest.Bin{1, 2, 255}, "n": 1.5})
		}
		acks, d := x.emitWithAck(t, sel{}, 2*time.Second, "ackbin")
		if len(acks) != 2 || d > fast {
			t.Fatalf("acks %s in %v", acks, d)
		}
		var froms []string
		for _, a := range acks {
			var v struct {
				From string          `json:"from"`
				Bin  interoptest.Bin `json:"bin"`
				N    float64         `json:"n"`
			}
			if err := json.Unmarshal(a, &v); err != nil || len(v.Bin) != 3 || v.Bin[2] != 255 || v.N != 1.5 {
				t.Errorf("ack %s: %+v %v", a, v, err)
			}
			froms = append(froms, v.From)
		}
		slices.Sort(froms)
		want := []string{m.cN.Name(), m.cG.Name()}
		slices.Sort(want)
		if !slices.Equal(froms, want) {
			t.Errorf("acks from %v, want %v", froms, want)
		}
	}},
	{"B11 emitter messages (no uid, uid \"emitter\")", []string{"classic"}, false, func(t *testing.T, m *mixed, _, _ side) {
		pub := func(channel, msg string) {
			t.Helper()
			if err := m.rawClient.Publish(context.Background(), channel, msg).Err(); err != nil {
				t.Fatal(err)
			}
		}
		req := m.key + "-request#/#"
		pub(req, `{"type":2,"opts":{"rooms":["`+m.idG+`"],"except":[]},"rooms":["from-emitter"]}`)
		pub(req, `{"uid":"emitter","type":6,"data":["note","emitted"]}`)
		// An emitter broadcast: [uid, packet, opts] in msgpack, built by Node's encoder.
		m.N.emit(t, sel{Rooms: []string{"from-emitter"}}, "emitter-room")
		m.settle(t, m.N)
		want(t, "emit to the room the emitter joined", "emitter-room", []int{0, 1}, m.clients()...)
		waitFor(t, "the emitter's server-side emit", func() bool {
			for _, r := range m.G.serverSideEmitsReceived() {
				if strings.Contains(string(r), "emitted") {
					return true
				}
			}
			return false
		})
	}},
	{"F27 garbage on every channel", []string{"classic"}, false, func(t *testing.T, m *mixed, _, _ side) {
		ctx := context.Background()
		// Node's adapter throws (and the process dies) on some of these, so they go where
		// only sockgate decodes them: Node drops a room channel's message before decoding
		// when it has no such room, and survives parse errors and unknown types.
		garbage := []string{"", "{", "[1,2]", "\x93\xa1x", "\xc1", `{"type":99}`, "\x92\xa1x\x80",
			"\x93\xa1x\x81\xa4type\x02\x80", `{"type":5,"requestId":"x"}`, `{"type":7}`, `{"type":6,"data":"x"}`}
		for ch, msgs := range map[string][]string{
			m.key + "#/#nosuchroom#": garbage,
			m.key + "-response#/#":   garbage,
			m.key + "-request#/#":    {"", "{", "[1,2]", "\xc1", `{"type":99}`, "\x93\xa1x"},
		} {
			for _, msg := range msgs {
				if err := m.rawClient.Publish(ctx, ch, msg).Err(); err != nil {
					t.Fatal(err)
				}
			}
		}
		ev := "after-garbage"
		m.G.emit(t, sel{}, ev)
		m.N.emit(t, sel{}, ev)
		m.settle(t, m.G)
		m.settle(t, m.N)
		want(t, "broadcasts after garbage", ev, []int{2, 2}, m.clients()...)
	}},
	{"F27 garbage on every channel and stream", []string{"sharded", "streams"}, false, func(t *testing.T, m *mixed, _, _ side) {
		// Garbage goes only where Node never decodes it (Node's adapters are not the
		// subject here, and some of this would stop them: a malformed type-3 entry of one
		// of its namespaces throws inside the streams adapter's read loop, which then
		// reads the same entry again and again). So it goes to sockgate's own response
		// channel of "/", to the channels of a namespace only sockgate serves
		// ("/g-only"), to a socket-id room channel only sockgate subscribes to
		// (dynamic-private), and, in the stream every node reads, to entries without nsp
		// (Node skips them unread) or with nsp "/g-only" (Node routes them to no adapter
		// before decoding them).
		ctx := context.Background()
		nsOf(m.g, "/g-only")
		raw := m.raw(t)
		garbage := []string{"", "{", "[1,2]", "\x93\xa1x", "\xc1", "\x84\xa3uid", `{"type":99}`, `{"uid":"x","nsp":"/","type":"3"}`,
			`{"uid":"x","nsp":"/","type":3}`, `{"uid":"x","nsp":"/","type":3,"data":{"packet":"x"}}`,
			`{"uid":"x","nsp":"/","type":3,"data":{"packet":{"type":2,"data":"x"},"opts":7}}`,
			`{"uid":"x","nsp":"/","type":7,"data":{}}`, `{"uid":"x","nsp":"/","type":9,"data":{"packet":"x","requestId":1}}`,
			`{"uid":"x","nsp":"/","type":8,"data":{"requestId":"r","sockets":"x"}}`, `{"uid":"x","nsp":"/","type":11,"data":{"requestId":[]}}`,
			`{"uid":"x","nsp":"/","type":12,"data":7}`, "\x84\xa3uid\xa1x\xa3nsp\xa1/\xa4type\x03\xa4data\xc1",
			"\x84\xa3uid\xa1x\xa3nsp\xa1/\xa4type\x0a\xa4data\x80"}
		gOnly := make([]string, len(garbage))
		for i, g := range garbage {
			gOnly[i] = strings.ReplaceAll(strings.ReplaceAll(g, `"nsp":"/"`, `"nsp":"/g-only"`), "\xa3nsp\xa1/", "\xa3nsp\xa7/g-only")
		}
		channels := map[string][]string{
			m.goPrivateChannel(t, "/"): garbage,
			m.key + "#/g-only#":        gOnly,
		}
		if m.kind == "sharded" && m.shardedMode() == "dynamic-private" {
			channels[m.key+"#/#"+m.idG+"#"] = garbage
		}
		for ch, msgs := range channels {
			for _, msg := range msgs {
				var err error
				if m.kind == "sharded" {
					err = raw.SPublish(ctx, ch, msg).Err()
				} else {
					err = raw.Publish(ctx, ch, msg).Err()
				}
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		if m.kind == "streams" {
			entries := [][]any{
				{"uid", "x", "type", "3", "data", "{"}, // no nsp
				{"garbage", "\xc1"},
			}
			for _, typ := range []string{"3", "4", "6", "x", "", "99", "-1"} {
				for _, data := range []string{"", "{", "[1,2]", "{}", `{"packet":"x"}`, `{"opts":1,"rooms":"r"}`, "!!not base64",
					"wcE=" /* msgpack 0xc1 0xc1, never used */, "hKN1aWQ=" /* truncated map */} {
					entries = append(entries, []any{"uid", "x", "nsp", "/g-only", "type", typ, "data", data})
				}
			}
			for _, e := range entries {
				if err := raw.XAdd(ctx, &goredis.XAddArgs{Stream: m.key, Values: e}).Err(); err != nil {
					t.Fatal(err)
				}
			}
		}
		// Later traffic: broadcasts through the stream or the main channel both ways,
		// requests and their responses on the channels that got garbage.
		ev := "after-garbage"
		m.G.emit(t, sel{}, ev)
		m.N.emit(t, sel{}, ev)
		m.settle(t, m.G)
		m.settle(t, m.N)
		want(t, "broadcasts after garbage", ev, []int{2, 2}, m.clients()...)
		for _, x := range []side{m.N, m.G} {
			replies, errMsg, d := x.serverSideEmitWithAck(t, "ping")
			if errMsg != "" || len(replies) != 1 || d > fast {
				t.Errorf("%s serverSideEmitWithAck after garbage = %s, %q in %v", x.name(), replies, errMsg, d)
			}
			if socks, d := x.fetch(t, sel{}); len(socks) != 2 || d > fast {
				t.Errorf("%s fetchSockets after garbage = %d sockets in %v", x.name(), len(socks), d)
			}
		}
	}},
	{"D21 three nodes, then one leaves", nil, true, func(t *testing.T, m *mixed, x, y side) {
		g2 := m.extraGoNode(t)
		defer g2.stop()
		waitFor(t, "three nodes counted", func() bool { return m.adapters.serverCount("/") == 3 })
		replies, errMsg, d := x.serverSideEmitWithAck(t, "ping")
		if errMsg != "" || len(replies) != 2 || d > fast {
			t.Errorf("serverSideEmitWithAck on three nodes = %s, %q in %v", replies, errMsg, d)
		}
		socks, d := x.fetch(t, sel{})
		if len(socks) != 3 || d > fast {
			t.Errorf("fetchSockets on three nodes = %d sockets in %v", len(socks), d)
		}
		g2.stop()
		waitFor(t, "back to two nodes", func() bool { return m.adapters.serverCount("/") == 2 })
		socks, d = x.fetch(t, sel{})
		if len(socks) != 2 || d > fast {
			t.Errorf("fetchSockets after a node left = %d sockets in %v", len(socks), d)
		}
	}},
	{"F29 membership change", nil, true, func(t *testing.T, m *mixed, x, y side) {
		// y leaves (its client first, so that it does not reconnect elsewhere): x's count
		// drops to 1 (NUMSUB or SHARDNUMSUB of the channel every node subscribes to), and
		// its requests answer at once from its own sockets.
		m.client(y).Close()
		if y.name() == "G" {
			m.stopGoNode()
		} else {
			m.n.stop()
		}
		waitFor(t, x.name()+" counts itself only", func() bool { return m.count(t, x) == 1 })
		socks, d := x.fetch(t, sel{})
		if len(socks) != 1 || socks[0].ID != m.id(x) || d > fast {
			t.Errorf("fetchSockets with %s gone = %+v in %v, want only %s, fast", y.name(), socks, d, m.id(x))
		}
		replies, errMsg, d := x.serverSideEmitWithAck(t, "ping")
		if errMsg != "" || len(replies) != 0 || d > fast {
			t.Errorf("serverSideEmitWithAck with %s gone = %s, %q in %v, want [] fast", y.name(), replies, errMsg, d)
		}
		// y comes back with a new adapter, a new client: case A1 again, both ways. They
		// live as long as the whole test (m.t), for the cases after this one.
		if y.name() == "G" {
			m.startG(m.t)
		} else {
			m.startN(m.t)
		}
		m.waitCount(t, 2)
		if y.name() == "G" {
			m.connectG(m.t)
		} else {
			m.connectN(m.t)
		}
		for _, from := range []side{m.N, m.G} {
			ev := "all-after-" + y.name() + "-came-back-from-" + from.name()
			from.emit(t, sel{}, ev, "all")
			m.settle(t, from)
			want(t, "io.emit after "+y.name()+" came back", ev, []int{1, 1}, m.clients()...)
		}
	}},
}

// raw returns a client of the cluster's Redis for the test's own commands (a cluster
// client on a Redis Cluster), closed at cleanup.
func (m *mixed) raw(t *testing.T) goredis.UniversalClient {
	t.Helper()
	if m.cluster == nil {
		return m.rawClient
	}
	cc := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: m.cluster.Addrs()})
	t.Cleanup(func() { _ = cc.Close() })
	return cc
}

// goPrivateChannel returns the response channel of sockgate's adapter of nsp: the
// channel "<key>#<nsp>#<uid>#" subscribed to whose uid is not Node's.
func (m *mixed) goPrivateChannel(t *testing.T, nsp string) string {
	t.Helper()
	var nodeUID string
	mustJSON(t, m.n.call("uid", map[string]any{"nsp": nsp}), &nodeUID)
	ctx := context.Background()
	var channels []string
	list := func(c goredis.UniversalClient) error {
		var cmd *goredis.StringSliceCmd
		if m.kind == "sharded" {
			cmd = c.PubSubShardChannels(ctx, m.key+"#"+nsp+"#*")
		} else {
			cmd = c.PubSubChannels(ctx, m.key+"#"+nsp+"#*")
		}
		channels = append(channels, cmd.Val()...)
		return cmd.Err()
	}
	var err error
	if cc, ok := m.raw(t).(*goredis.ClusterClient); ok {
		var mu sync.Mutex
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error {
			mu.Lock()
			defer mu.Unlock()
			return list(c)
		})
	} else {
		err = list(m.rawClient)
	}
	if err != nil {
		t.Fatal(err)
	}
	prefix := m.key + "#" + nsp + "#"
	var found []string
	for _, ch := range channels {
		id := strings.TrimSuffix(strings.TrimPrefix(ch, prefix), "#")
		if len(id) == 16 && strings.Trim(id, "0123456789abcdef") == "" && id != nodeUID {
			found = append(found, ch)
		}
	}
	if len(found) != 1 {
		t.Fatalf("sockgate's response channel of %s: found %v among %v (Node's uid %s)", nsp, found, channels, nodeUID)
	}
	return found[0]
}

func runExtraCases(t *testing.T, m *mixed) []string {
	var table []string
	for _, c := range extraCases {
		if c.kinds != nil && !slices.Contains(c.kinds, m.kind) {
			continue
		}
		dirs := []string{"N"}
		if c.dirs {
			dirs = append(dirs, "G")
		}
		for _, from := range dirs {
			// Resolved now: a case may have replaced a node.
			x, y := m.N, m.G
			if from == "G" {
				x, y = m.G, m.N
			}
			label := c.name + "/" + x.name() + "->" + y.name()
			if !c.dirs {
				label = c.name
			}
			ok := t.Run(label, func(t *testing.T) { c.run(t, m, x, y) })
			dirName := x.name() + "→" + y.name()
			if !c.dirs {
				dirName = "→G"
			}
			table = append(table, "| "+c.name+" | "+dirName+" | "+map[bool]string{true: "pass", false: "FAIL"}[ok]+" |")
		}
	}
	return table
}
