package interop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/sockgate/sockgate/interop/interoptest"
)

// Case 26, golden shapes: every message sockgate publishes is compared with the one Node
// publishes for the same operation. A MONITOR connection records every PUBLISH, SPUBLISH
// and XADD; the sender is told by its connection (Node's clients are named, see
// js/clusternode.mjs); each message is decoded (JSON, or msgpack into generic values),
// its random parts masked (uids, request ids, socket ids, handshakes, the node's own
// rooms and names), and the two sides' messages of each kind must be equal: the same
// encoding, the same keys in the same case, the same flags, timeouts in milliseconds,
// arrays where Node has arrays, clientCount present.

// monitor records the commands that publish on a Redis server.
type monitor struct {
	conn  net.Conn
	done  chan struct{}
	names func(addr string) string // a connection's client name

	mu   sync.Mutex
	cmds []monitored
}

type monitored struct {
	from string // "N", "G", or "" for the test's own connections
	args []string
}

// startMonitor opens a MONITOR connection; nodeName is the client name of Node's
// connections; connections named "golden-*" are the test's.
func startMonitor(t *testing.T, addr string, nodeName string) *monitor {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	mon := &monitor{conn: conn, done: make(chan struct{})}
	lister := goredis.NewClient(&goredis.Options{Addr: addr, ClientName: "golden-list", PoolSize: 1})
	var nmu sync.Mutex
	known := map[string]string{}
	mon.names = func(a string) string {
		nmu.Lock()
		defer nmu.Unlock()
		if n, ok := known[a]; ok {
			return n
		}
		list, err := lister.ClientList(context.Background()).Result()
		if err != nil {
			return ""
		}
		for _, line := range strings.Split(list, "\n") {
			var ad, name string
			for _, f := range strings.Fields(line) {
				if v, ok := strings.CutPrefix(f, "addr="); ok {
					ad = v
				} else if v, ok := strings.CutPrefix(f, "name="); ok {
					name = v
				}
			}
			known[ad] = name
		}
		return known[a]
	}
	rd := bufio.NewReader(conn)
	if _, err := conn.Write([]byte("CLIENT SETNAME golden-monitor\r\nMONITOR\r\n")); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if l, err := rd.ReadString('\n'); err != nil || !strings.HasPrefix(l, "+OK") {
			t.Fatalf("MONITOR: %q %v", l, err)
		}
	}
	go func() {
		defer close(mon.done)
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				return
			}
			addr, args, ok := parseMonitorLine(strings.TrimSuffix(strings.TrimPrefix(line, "+"), "\r\n"))
			if !ok || len(args) == 0 {
				continue
			}
			switch strings.ToUpper(args[0]) {
			case "PUBLISH", "SPUBLISH", "XADD":
			default:
				continue
			}
			from := "G"
			switch name := mon.names(addr); {
			case name == nodeName:
				from = "N"
			case strings.HasPrefix(name, "golden-"):
				from = ""
			}
			mon.mu.Lock()
			mon.cmds = append(mon.cmds, monitored{from, args})
			mon.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = conn.Close()
		<-mon.done
		_ = lister.Close()
	})
	return mon
}

func (mon *monitor) all() []monitored {
	mon.mu.Lock()
	defer mon.mu.Unlock()
	return slices.Clone(mon.cmds)
}

// parseMonitorLine reads `<time> [<db> <addr>] "arg" "arg" ...`, each argument quoted
// with Redis's escapes (\\, \", \n, \r, \t, \a, \b, \xHH).
func parseMonitorLine(line string) (addr string, args []string, ok bool) {
	open := strings.IndexByte(line, '[')
	end := strings.IndexByte(line, ']')
	if open < 0 || end < open {
		return "", nil, false
	}
	head := strings.Fields(line[open+1 : end])
	if len(head) != 2 {
		return "", nil, false
	}
	addr = head[1]
	s := line[end+1:]
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			return addr, args, true
		}
		if s[0] != '"' {
			return "", nil, false
		}
		var b strings.Builder
		i := 1
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] != '\\' || i+1 >= len(s) {
				b.WriteByte(s[i])
				continue
			}
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'a':
				b.WriteByte('\a')
			case 'b':
				b.WriteByte('\b')
			case 'x':
				if i+2 >= len(s) {
					return "", nil, false
				}
				v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
				if err != nil {
					return "", nil, false
				}
				b.WriteByte(byte(v))
				i += 2
			default:
				b.WriteByte(s[i])
			}
		}
		if i >= len(s) {
			return "", nil, false
		}
		args = append(args, b.String())
		s = s[i+1:]
	}
}

func TestParseMonitorLine(t *testing.T) {
	addr, args, ok := parseMonitorLine(`1700000000.123456 [0 127.0.0.1:5555] "PUBLISH" "a#/#" "\x93\xa6q6\"\\ \n"`)
	if !ok || addr != "127.0.0.1:5555" || !slices.Equal(args, []string{"PUBLISH", "a#/#", "\x93\xa6q6\"\\ \n"}) {
		t.Fatalf("%q %q %v", addr, args, ok)
	}
	for _, bad := range []string{"", "x", `1 [0 a] "unterminated`, `1 [0 a] "\x1"`, `1 [0 a] bare`} {
		if _, _, ok := parseMonitorLine(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

// goldenMsg is one decoded, masked message and what kind of message it is.
type goldenMsg struct {
	key    string // what pairs it with the other side's message
	typ    string // the protocol's type number, for the coverage check
	masked string // canonical JSON of the masked message
}

// decodePayload decodes a message: JSON when it starts with '{', else msgpack.
func decodePayload(b []byte) (any, string, error) {
	if len(b) > 0 && b[0] == '{' {
		var v any
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			return nil, "", err
		}
		return normalize(v), "json", nil
	}
	dec := msgpack.NewDecoder(bytes.NewReader(b))
	dec.UseLooseInterfaceDecoding(true)
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, "", err
	}
	return normalize(v), "msgpack", nil
}

// normalize makes numbers float64, binaries and dates tagged strings, map keys strings.
func normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case float32:
		return float64(x)
	case []byte:
		return "bin:" + hex.EncodeToString(x)
	case time.Time:
		return "date:" + x.UTC().Format(time.RFC3339Nano)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = normalize(e)
		}
		return out
	}
	return v
}

// shape replaces values by their JSON types, keeping keys and nesting.
func shape(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = shape(e)
		}
		return out
	case []any:
		if len(x) == 0 {
			return []any{}
		}
		return []any{shape(x[0])}
	case string:
		return "<string>"
	case float64:
		return "<number>"
	case bool:
		return "<bool>"
	case nil:
		return nil
	}
	return fmt.Sprintf("<%T>", v)
}

// masker hides what differs between two runs of the same operation.
type masker struct{ sids map[string]bool }

func (mk masker) mask(v any, key string) any {
	switch key {
	case "uid", "requestId":
		if v == nil {
			return nil
		}
		return "<" + key + ">"
	case "handshake", "data_of_socket", "rooms_of_socket":
		return shape(v)
	}
	switch x := v.(type) {
	case string:
		if mk.sids[x] {
			return "<sid>"
		}
		if strings.HasPrefix(x, "pong-from-") {
			return "pong-from-<node>"
		}
		return x
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = mk.mask(e, "")
		}
		return out
	case map[string]any:
		_, isSocket := x["handshake"]
		out := make(map[string]any, len(x))
		for k, e := range x {
			kk := k
			if isSocket && (k == "data" || k == "rooms") {
				kk = k + "_of_socket"
			}
			out[k] = mk.mask(e, kk)
		}
		return out
	}
	return v
}

func canonical(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// goldenCapture turns the recorded commands into masked messages per sender.
func (m *mixed) goldenMessages(t *testing.T, cmds []monitored, mk masker) map[string][]goldenMsg {
	t.Helper()
	reqKeys := map[string]string{} // request id: the key of its request
	type decoded struct {
		from, cmd, channel, enc string
		v                       any
		extra                   []string
	}
	var msgs []decoded
	for _, c := range cmds {
		cmd := strings.ToUpper(c.args[0])
		d := decoded{from: c.from, cmd: cmd}
		if cmd == "XADD" {
			// XADD <stream> [MAXLEN ~ n] <id> field value ...
			a := c.args[1:]
			d.channel = a[0]
			i := 1
			for ; i < len(a) && a[i] != "*"; i++ {
				d.extra = append(d.extra, strings.ToUpper(a[i])) // Redis reads options in any case
			}
			fields := map[string]any{}
			var order []any
			for j := i + 1; j+1 < len(a); j += 2 {
				order = append(order, a[j])
				fields[a[j]] = a[j+1]
			}
			if s, _ := fields["data"].(string); s != "" {
				raw := []byte(s)
				if s[0] != '{' {
					raw, _ = base64.StdEncoding.DecodeString(s)
				}
				v, enc, err := decodePayload(raw)
				if err != nil {
					t.Errorf("%s's stream entry data %q: %v", c.from, s, err)
					continue
				}
				fields["data"], d.enc = v, enc
			}
			fields["fieldOrder"] = order
			d.v = fields
		} else {
			if len(c.args) != 3 {
				continue
			}
			d.channel = c.args[1]
			v, enc, err := decodePayload([]byte(c.args[2]))
			if err != nil {
				if c.from != "" {
					t.Errorf("%s published an undecodable message on %s: %q: %v", c.from, d.channel, c.args[2], err)
				}
				continue
			}
			d.v, d.enc = v, enc
		}
		msgs = append(msgs, d)
	}
	// Requests first, so that responses can name the request they answer.
	key := func(d decoded) (k, typ, rid string, isResponse bool) {
		ch := d.channel
		for sid := range mk.sids {
			ch = strings.ReplaceAll(ch, sid, "<sid>")
		}
		for _, id := range []string{m.nodeUID, m.goUID} {
			if id != "" {
				ch = strings.ReplaceAll(ch, id, "<uid>")
			}
		}
		if i := strings.Index(ch, "-response#"); i >= 0 {
			// The classic requester's own channel "<key>-response#<nsp>#<uid>#".
			if parts := strings.Split(ch[i:], "#"); len(parts) == 4 && parts[2] != "" {
				ch = ch[:i] + "-response#" + parts[1] + "#<uid>#"
			}
		}
		if arr, ok := d.v.([]any); ok && len(arr) >= 2 { // classic broadcast [uid, packet, opts]
			p, _ := arr[1].(map[string]any)
			data, _ := p["data"].([]any)
			var ev any
			if len(data) > 0 {
				ev = data[0]
			}
			return fmt.Sprintf("%s %s broadcast event=%v", d.cmd, ch, ev), "broadcast", "", false
		}
		obj, _ := d.v.(map[string]any)
		inner := obj
		if dd, ok := obj["data"].(map[string]any); ok && (d.cmd == "XADD" || obj["nsp"] != nil) {
			inner = dd // cluster message {uid, nsp, type, data}
		}
		typ = fmt.Sprint(obj["type"])
		if r, ok := inner["requestId"].(string); ok {
			rid = r
		}
		isResponse = strings.Contains(ch, "-response#") || strings.HasSuffix(ch, "<uid>#") ||
			(m.kind != "classic" && slices.Contains([]string{"8", "10", "11", "12"}, typ))
		var ev any
		switch p := inner["packet"].(type) {
		case map[string]any:
			if data, ok := p["data"].([]any); ok && len(data) > 0 {
				ev = data[0]
			}
		case []any:
			if len(p) > 0 {
				ev = p[0]
			}
		}
		if dd, ok := inner["data"].([]any); ok && len(dd) > 0 && !isResponse {
			ev = dd[0]
		}
		opts := canonical(mk.mask(inner["opts"], ""))
		rooms := canonical(mk.mask(inner["rooms"], ""))
		if d.cmd == "XADD" {
			typ = fmt.Sprint(obj["type"])
		}
		return fmt.Sprintf("%s %s type=%s event=%v opts=%s rooms=%s sid=%v ack=%v", d.cmd, ch, typ, ev, opts, rooms,
			mk.mask(inner["sid"], ""), rid != ""), typ, rid, isResponse
	}
	for _, d := range msgs {
		if k, _, rid, resp := key(d); !resp && rid != "" {
			reqKeys[rid] = k
		}
	}
	out := map[string][]goldenMsg{}
	for _, d := range msgs {
		if d.from == "" {
			continue
		}
		k, typ, rid, resp := key(d)
		if strings.Contains(k, "marker-") || strings.Contains(k, "probe-") {
			continue // settle's markers, whose names differ from side to side
		}
		if resp {
			rk, ok := reqKeys[rid]
			if !ok {
				continue // a response to a request of an earlier case
			}
			k = fmt.Sprintf("response type=%s on %s to [%s]", typ, strings.Fields(k)[1], rk)
		}
		v := d.v
		if obj, ok := v.(map[string]any); ok && reqKeys[rid] != "" && strings.Contains(reqKeys[rid], "type=1 ") {
			obj = maps(obj)
			obj["rooms"] = shape(obj["rooms"]) // all rooms: each node's own
			v = obj
		}
		if arr, ok := v.([]any); ok && len(arr) > 0 {
			arr = slices.Clone(arr)
			arr[0] = "<uid>" // a classic broadcast [uid, packet, opts]
			v = arr
		}
		masked := map[string]any{"encoding": d.enc, "message": mk.mask(v, "")}
		if d.extra != nil {
			masked["xadd"] = d.extra
		}
		out[d.from] = append(out[d.from], goldenMsg{key: k, typ: typ, masked: canonical(masked)})
	}
	return out
}

func maps(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// goldenOps runs each operation once from each side, each with its own event names, the
// same on both sides.
func (m *mixed) goldenOps(t *testing.T, raw *goredis.Client) {
	for _, c := range m.clients() {
		for _, ev := range []string{"golden-ack", "golden-ack-bin"} {
			c.Reply(ev, "golden-ack-value")
		}
	}
	for _, x := range []side{m.N, m.G} {
		other := m.idG
		if x.name() == "G" {
			other = m.idN
		}
		x.emit(t, sel{}, "golden-all", "s", 1, 1<<40, 2.5, nil, map[string]any{"a": []any{1, true}}, interoptest.Bin{1, 2})
		x.emit(t, sel{Rooms: []string{"room1"}}, "golden-room")
		x.emit(t, sel{Rooms: []string{"room1", "room2"}, Except: []string{"x"}}, "golden-rooms")
		x.emit(t, sel{Rooms: []string{other}}, "golden-sid")
		x.emit(t, sel{Volatile: true}, "golden-volatile")
		x.emit(t, sel{Nsp: "/chat"}, "golden-chat")
		m.settle(t, x)
		_, _ = x.emitWithAck(t, sel{}, 2*time.Second, "golden-ack", 1)
		_, _ = x.emitWithAck(t, sel{Rooms: []string{other}}, 2*time.Second, "golden-ack-bin", interoptest.Bin{3})
		x.fetch(t, sel{})
		x.fetch(t, sel{Rooms: []string{"room1"}, Except: []string{other}})
		x.socketsJoin(t, sel{Rooms: []string{other}}, "golden-room-joined")
		x.socketsLeave(t, sel{Rooms: []string{other}}, "golden-room-joined")
		x.disconnect(t, sel{Rooms: []string{"golden-nobody"}}, true)
		x.serverSideEmit(t, "note", "golden-sse")
		x.serverSideEmitWithAck(t, "ping", "golden")
		if m.kind == "classic" {
			if x.name() == "N" {
				m.n.call("allRooms", nil)
			} else if _, err := m.adapters.get("/").(interface {
				AllRooms(context.Context) ([]string, error)
			}).AllRooms(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if m.kind == "classic" {
		// Legacy requests Node 8 no longer sends but still answers.
		ctx := context.Background()
		for _, msg := range []string{
			`{"uid":"golden","requestId":"golden-sockets","type":0,"rooms":["room1"]}`,
			`{"uid":"golden","requestId":"golden-join-n","type":2,"sid":"` + m.idN + `","room":"golden-legacy"}`,
			`{"uid":"golden","requestId":"golden-join-g","type":2,"sid":"` + m.idG + `","room":"golden-legacy"}`,
		} {
			if err := raw.Publish(ctx, m.key+"-request#/#", msg).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func runGolden(t *testing.T, m *mixed) {
	ctx := context.Background()
	addrs := []string{}
	if m.cluster != nil {
		addrs = m.cluster.Addrs() // one MONITOR per master: each sees its own slots' commands
	} else {
		addrs = append(addrs, m.redis.Addr())
	}
	var mons []*monitor
	for _, a := range addrs {
		mons = append(mons, startMonitor(t, a, "sockgate-interop-N"))
	}
	raw := goredis.NewClient(&goredis.Options{Addr: addrs[0], ClientName: "golden-test", PoolSize: 1})
	defer func() { _ = raw.Close() }()
	mustJSON(t, m.n.call("uid", nil), &m.nodeUID)
	if id := strings.TrimPrefix(m.goPrivateChannelOr(t), m.key+"#/#"); id != "" {
		m.goUID = strings.TrimSuffix(id, "#")
	}
	m.goldenOps(t, raw)
	// Every request has been answered once the operations returned; the fire-and-forget
	// ones and the legacy requests' answers are waited for here.
	var got map[string][]goldenMsg
	mk := masker{sids: map[string]bool{m.idN: true, m.idG: true}}
	deadline := time.Now().Add(3 * time.Second)
	for {
		if err := raw.Ping(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		var cmds []monitored
		for _, mon := range mons {
			cmds = append(cmds, mon.all()...)
		}
		got = m.goldenMessages(t, cmds, mk)
		if time.Now().After(deadline) || sameKeys(got["N"], got["G"]) && (m.kind != "classic" || legacyAnswered(got)) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	byKey := func(ms []goldenMsg) map[string][]string {
		out := map[string][]string{}
		for _, g := range ms {
			out[g.key] = append(out[g.key], g.masked)
		}
		for _, v := range out {
			slices.Sort(v)
		}
		return out
	}
	n, g := byKey(got["N"]), byKey(got["G"])
	var keys []string
	for k := range n {
		keys = append(keys, k)
	}
	for k := range g {
		if _, ok := n[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !reflect.DeepEqual(n[k], g[k]) {
			t.Errorf("%s:\n  Node:     %v\n  sockgate: %v", k, n[k], g[k])
		}
	}
	if m.kind == "classic" && !legacyAnswered(got) {
		t.Errorf("the legacy SOCKETS and sid-based REMOTE_JOIN requests were not answered by both nodes")
	}
	// Coverage: every message type sockgate must publish was seen from both sides.
	wantTypes := []string{"broadcast", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	if m.kind != "classic" {
		wantTypes = []string{"3", "4", "5", "6", "7", "8", "9", "10", "11", "12"}
	}
	for _, side := range []string{"N", "G"} {
		seen := map[string]bool{}
		for _, gm := range got[side] {
			seen[gm.typ] = true
		}
		for _, typ := range wantTypes {
			if !seen[typ] {
				t.Errorf("no message of type %s from %s", typ, side)
			}
		}
	}
	t.Logf("%d kinds of messages compared (%d from Node, %d from sockgate):\n%s", len(keys), len(got["N"]), len(got["G"]), strings.Join(keys, "\n"))
}

// legacyAnswered reports whether both nodes answered the legacy SOCKETS request and the
// sid-based REMOTE_JOIN of their own socket.
func legacyAnswered(got map[string][]goldenMsg) bool {
	for _, side := range []string{"N", "G"} {
		var sockets, join bool
		for _, g := range got[side] {
			sockets = sockets || strings.HasPrefix(g.key, "response") && strings.Contains(g.key, "type=0 ")
			join = join || strings.HasPrefix(g.key, "response") && strings.Contains(g.key, "sid=<sid>")
		}
		if !sockets || !join {
			return false
		}
	}
	return true
}

func sameKeys(a, b []goldenMsg) bool {
	count := func(ms []goldenMsg) map[string]int {
		out := map[string]int{}
		for _, g := range ms {
			out[g.key]++
		}
		return out
	}
	return reflect.DeepEqual(count(a), count(b))
}

// goPrivateChannelOr is goPrivateChannel for the cluster-protocol adapters, "" for the
// classic one (whose responses carry no uid in their channel unless asked).
func (m *mixed) goPrivateChannelOr(t *testing.T) string {
	if m.kind == "classic" {
		return ""
	}
	return m.goPrivateChannel(t, "/")
}
