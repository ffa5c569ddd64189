package adaptertest

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/sockgate/sockgate/adapter"
)

// runRecovery runs the connection state recovery cases against the adapters built by f,
// which implement adapter.SessionStore.
func runRecovery(t *testing.T, f Factory) {
	t.Helper()
	for _, c := range recoveryCases {
		t.Run(c.name, func(t *testing.T) {
			rc := adapter.Recovery{MaxDisconnectionDuration: time.Minute}
			if c.cfg != nil {
				rc = *c.cfg
			}
			a := newSingle(t, f, &Namespace{NameValue: "/test", RecoveryValue: rc})
			c.run(t, a, a.(adapter.SessionStore))
		})
	}
}

var recoveryCases = []struct {
	name string
	cfg  *adapter.Recovery
	run  func(t *testing.T, a adapter.Adapter, st adapter.SessionStore)
}{
	{"offsets on recoverable packets only", nil, testOffsets},
	{"restore returns the missed packets once", nil, testRestore},
	{"unknown session or offset", nil, testRestoreRefused},
	{"packets during a restore", nil, testRestoreWindow},
	{"abandoned restore", nil, testRestoreAbandoned},
	{"expiry", &adapter.Recovery{MaxDisconnectionDuration: 50 * time.Millisecond}, testExpiry},
	{"bounds", &adapter.Recovery{MaxDisconnectionDuration: time.Minute, MaxSessions: 2, MaxPackets: 3}, testBounds},
}

// event returns the event name and the arguments after it of a delivered packet.
func event(tb testing.TB, p *adapter.Packet) (string, []string) {
	tb.Helper()
	var raw []json.RawMessage
	if err := json.Unmarshal(p.Data, &raw); err != nil || len(raw) == 0 {
		tb.Fatalf("packet data %s: %v", p.Data, err)
	}
	var name string
	_ = json.Unmarshal(raw[0], &name)
	args := make([]string, len(raw)-1)
	for i, r := range raw[1:] {
		args[i] = string(r)
	}
	return name, args
}

// names lists the event names of packets.
func names(tb testing.TB, ps []*adapter.Packet) []string {
	tb.Helper()
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i], _ = event(tb, p)
	}
	return out
}

func broadcast(tb testing.TB, a adapter.Adapter, name string, opts adapter.BroadcastOptions) {
	tb.Helper()
	p := &adapter.Packet{Namespace: "/test", Data: json.RawMessage(`["` + name + `",1]`)}
	if err := a.Broadcast(p, opts); err != nil {
		tb.Fatal(err)
	}
}

// last returns the last packet delivered to s.
func last(tb testing.TB, s *Socket) *adapter.Packet {
	tb.Helper()
	d := s.Delivered()
	if len(d) == 0 {
		tb.Fatalf("%s received nothing", s.ID())
	}
	return d[len(d)-1]
}

// disconnect removes s and keeps its session, as the server does when a connection is lost.
func disconnect(tb testing.TB, a adapter.Adapter, st adapter.SessionStore, s *Socket, pid string, data any) {
	tb.Helper()
	rooms := a.SocketRooms(s.ID())
	a.DelAll(s)
	if err := st.PersistSession(&adapter.Session{SID: s.ID(), PID: pid, Rooms: rooms, Data: data}); err != nil {
		tb.Fatal(err)
	}
}

func testOffsets(t *testing.T, a adapter.Adapter, _ adapter.SessionStore) {
	s := NewSocket(a, "s1")
	broadcast(t, a, "one", adapter.BroadcastOptions{})
	p1 := last(t, s)
	broadcast(t, a, "two", adapter.BroadcastOptions{Rooms: []string{"s1"}})
	p2 := last(t, s)
	for _, p := range []*adapter.Packet{p1, p2} {
		_, args := event(t, p)
		if p.Offset == "" || len(args) != 2 || args[0] != "1" || args[1] != `"`+p.Offset+`"` {
			t.Fatalf("recoverable packet %s (Offset %q): want the offset as its last argument", p.Data, p.Offset)
		}
	}
	if p1.Offset == p2.Offset {
		t.Fatalf("two packets share the offset %q", p1.Offset)
	}
	volatile := &adapter.Packet{Namespace: "/test", Data: json.RawMessage(`["v",1]`), Volatile: true}
	_ = a.Broadcast(volatile, adapter.BroadcastOptions{})
	if p := last(t, s); p.Offset != "" || string(p.Data) != `["v",1]` {
		t.Fatalf("volatile packet delivered as %s (Offset %q), want it unchanged", p.Data, p.Offset)
	}
	withAck := &adapter.Packet{Namespace: "/test", Data: json.RawMessage(`["a",1]`)}
	withAck.ID, withAck.HasID = 3, true
	_ = a.BroadcastWithAck(withAck, adapter.BroadcastOptions{}, func(int) {}, func(adapter.Ack) {})
	if p := last(t, s); p.Offset != "" || string(p.Data) != `["a",1]` {
		t.Fatalf("packet with an ack delivered as %s (Offset %q), want it unchanged", p.Data, p.Offset)
	}
}

func testRestore(t *testing.T, a adapter.Adapter, st adapter.SessionStore) {
	s1, s2 := NewSocket(a, "s1"), NewSocket(a, "s2")
	s1.Join("r")
	broadcast(t, a, "seen", adapter.BroadcastOptions{})
	offset := last(t, s1).Offset
	type data struct{ N int }
	disconnect(t, a, st, s1, "pid1", data{7})

	broadcast(t, a, "to-r", adapter.BroadcastOptions{Rooms: []string{"r"}})
	broadcast(t, a, "to-x", adapter.BroadcastOptions{Rooms: []string{"x"}})
	broadcast(t, a, "but-s1", adapter.BroadcastOptions{Except: []string{"s1"}})
	broadcast(t, a, "but-r", adapter.BroadcastOptions{Except: []string{"r"}})
	broadcast(t, a, "direct", adapter.BroadcastOptions{Rooms: []string{"s1"}})
	_ = a.Broadcast(&adapter.Packet{Namespace: "/test", Data: json.RawMessage(`["volatile"]`), Volatile: true},
		adapter.BroadcastOptions{})
	broadcast(t, a, "all", adapter.BroadcastOptions{})
	_ = s2

	sess, err := st.RestoreSession(context.Background(), "pid1", offset)
	if err != nil || sess == nil {
		t.Fatalf("RestoreSession = %v, %v; want the session", sess, err)
	}
	rooms := slices.Clone(sess.Rooms)
	slices.Sort(rooms)
	if sess.SID != "s1" || sess.PID != "pid1" || !slices.Equal(rooms, []string{"r", "s1"}) {
		t.Fatalf("session %+v", sess)
	}
	if d, ok := sess.Data.(data); ok && d.N != 7 {
		t.Fatalf("data %#v", sess.Data)
	}
	if got := names(t, sess.MissedPackets); !slices.Equal(got, []string{"to-r", "direct", "all"}) {
		t.Fatalf("missed %v, want [to-r direct all]", got)
	}
	for _, p := range sess.MissedPackets {
		if _, args := event(t, p); p.Offset == "" || args[len(args)-1] != `"`+p.Offset+`"` {
			t.Fatalf("missed packet %s without its offset", p.Data)
		}
	}
	if again, _ := st.RestoreSession(context.Background(), "pid1", offset); again != nil {
		t.Fatal("a session was restored twice")
	}
}

func testRestoreRefused(t *testing.T, a adapter.Adapter, st adapter.SessionStore) {
	s1 := NewSocket(a, "s1")
	broadcast(t, a, "seen", adapter.BroadcastOptions{})
	offset := last(t, s1).Offset
	disconnect(t, a, st, s1, "pid1", nil)
	for _, tc := range []struct{ pid, offset string }{
		{"nobody", offset}, {"pid1", "not-an-offset"}, {"pid1", ""}, {"pid1", offset + "0"},
		{"pid1", "x" + offset}, {"pid1", offset[:len(offset)-1] + "01"},
	} {
		if sess, err := st.RestoreSession(context.Background(), tc.pid, tc.offset); sess != nil || err != nil {
			t.Fatalf("RestoreSession(%q, %q) = %+v, %v; want nothing", tc.pid, tc.offset, sess, err)
		}
	}
	// A refused offset does not cost the session.
	if sess, _ := st.RestoreSession(context.Background(), "pid1", offset); sess == nil {
		t.Fatal("the session was lost after a refused offset")
	}
}

func testRestoreWindow(t *testing.T, a adapter.Adapter, st adapter.SessionStore) {
	s1 := NewSocket(a, "s1")
	s1.Join("r")
	broadcast(t, a, "seen", adapter.BroadcastOptions{})
	offset := last(t, s1).Offset
	disconnect(t, a, st, s1, "pid1", nil)
	broadcast(t, a, "missed", adapter.BroadcastOptions{Rooms: []string{"r"}})
	sess, _ := st.RestoreSession(context.Background(), "pid1", offset)
	if sess == nil || !slices.Equal(names(t, sess.MissedPackets), []string{"missed"}) {
		t.Fatalf("restore %+v", sess)
	}
	// Broadcast after the restore and before the socket is back.
	broadcast(t, a, "between-1", adapter.BroadcastOptions{Rooms: []string{"r"}})
	broadcast(t, a, "elsewhere", adapter.BroadcastOptions{Rooms: []string{"x"}})
	broadcast(t, a, "between-2", adapter.BroadcastOptions{})

	back := &Socket{IDValue: sess.SID, A: a}
	a.AddAll(back, sess.Rooms...)
	broadcast(t, a, "after", adapter.BroadcastOptions{Rooms: []string{"r"}})
	if got := names(t, back.Delivered()); !slices.Equal(got, []string{"between-1", "between-2", "after"}) {
		t.Fatalf("restored socket received %v, want [between-1 between-2 after]", got)
	}
	// Registered once more (a later Join): nothing is delivered again.
	back.Join("r2")
	if n := len(back.Delivered()); n != 3 {
		t.Fatalf("after a join the socket has %d packets, want 3", n)
	}
}

func testRestoreAbandoned(t *testing.T, a adapter.Adapter, st adapter.SessionStore) {
	s1 := NewSocket(a, "s1")
	broadcast(t, a, "seen", adapter.BroadcastOptions{})
	offset := last(t, s1).Offset
	disconnect(t, a, st, s1, "pid1", nil)
	if sess, _ := st.RestoreSession(context.Background(), "pid1", offset); sess == nil {
		t.Fatal("no session")
	}
	broadcast(t, a, "between", adapter.BroadcastOptions{})
	gone := &Socket{IDValue: "s1", A: a}
	a.DelAll(gone) // the restored connection closed before its socket was registered
	later := &Socket{IDValue: "s1", A: a}
	a.AddAll(later)
	if d := later.Delivered(); len(d) != 0 {
		t.Fatalf("a socket registered after an abandoned restore received %v", names(t, d))
	}
}

func testExpiry(t *testing.T, a adapter.Adapter, st adapter.SessionStore) {
	s1 := NewSocket(a, "s1")
	broadcast(t, a, "seen", adapter.BroadcastOptions{})
	offset := last(t, s1).Offset
	disconnect(t, a, st, s1, "pid1", nil)
	time.Sleep(120 * time.Millisecond) // past MaxDisconnectionDuration (50ms): expiry is the point
	if sess, _ := st.RestoreSession(context.Background(), "pid1", offset); sess != nil {
		t.Fatal("an expired session was restored")
	}
}

func testBounds(t *testing.T, a adapter.Adapter, st adapter.SessionStore) {
	socks := []*Socket{NewSocket(a, "s1"), NewSocket(a, "s2"), NewSocket(a, "s3")}
	broadcast(t, a, "first", adapter.BroadcastOptions{})
	offset := last(t, socks[0]).Offset
	for i, s := range socks {
		disconnect(t, a, st, s, "pid"+string(rune('1'+i)), nil)
	}
	// MaxSessions 2: the oldest session (s1) is gone, the others remain.
	if sess, _ := st.RestoreSession(context.Background(), "pid1", offset); sess != nil {
		t.Fatal("the oldest session survived MaxSessions")
	}
	if sess, _ := st.RestoreSession(context.Background(), "pid2", offset); sess == nil {
		t.Fatal("a session within MaxSessions was lost")
	}
	// MaxPackets 3: after three more packets the first offset is gone.
	for _, n := range []string{"a", "b", "c"} {
		broadcast(t, a, n, adapter.BroadcastOptions{})
	}
	if sess, _ := st.RestoreSession(context.Background(), "pid3", offset); sess != nil {
		t.Fatal("an offset pushed out by MaxPackets was accepted")
	}
}
