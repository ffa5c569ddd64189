package adapter

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

type recNamespace struct{ rc Recovery }

func (n recNamespace) Name() string                                                    { return "/" }
func (n recNamespace) DispatchServerSideEmit([]json.RawMessage, func(json.RawMessage)) {}
func (n recNamespace) Recovery() Recovery                                              { return n.rc }
func (n recNamespace) NewAckID() int64                                                 { return 0 }
func (n recNamespace) ObserveRequest(string, time.Duration, error)                     {}

// recSocket records the offsets delivered to it.
type recSocket struct {
	id      string
	mu      sync.Mutex
	offsets []string
}

func (s *recSocket) ID() string { return s.id }
func (s *recSocket) Deliver(p *Packet) {
	s.mu.Lock()
	s.offsets = append(s.offsets, p.Offset)
	s.mu.Unlock()
}
func (s *recSocket) DeliverWithAck(p *Packet, _ func(Ack)) { s.Deliver(p) }
func (s *recSocket) Info() SocketInfo                      { return SocketInfo{ID: s.id} }
func (s *recSocket) Join(...string)                        {}
func (s *recSocket) Leave(string)                          {}
func (s *recSocket) Disconnect(bool)                       {}

func newRecMemory(tb testing.TB, rc Recovery) *memory {
	tb.Helper()
	a, err := NewMemory(recNamespace{rc})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = a.Close() })
	return a.(*memory)
}

// The recovery state is released by the sweep once it expires, with no further traffic.
func TestMemoryRecoverySweepReleases(t *testing.T) {
	m := newRecMemory(t, Recovery{MaxDisconnectionDuration: 20 * time.Millisecond})
	s := &recSocket{id: "s1"}
	m.AddAll(s)
	for i := 0; i < 10; i++ {
		_ = m.Broadcast(&Packet{Namespace: "/", Data: json.RawMessage(`["e"]`)}, BroadcastOptions{})
	}
	m.DelAll(s)
	_ = m.PersistSession(&Session{SID: "s1", PID: "p1", Rooms: []string{"s1"}})
	if sess, _ := m.RestoreSession(context.Background(), "p2", s.offsets[0]); sess != nil {
		t.Fatal("unknown pid restored")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		m.rec.mu.Lock()
		n, ns, b := len(m.rec.log), len(m.rec.sessions), m.rec.bytes
		m.rec.mu.Unlock()
		if n == 0 && ns == 0 && b == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after expiry: %d packets (%d bytes), %d sessions still kept", n, b, ns)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Every socket sees the offsets of concurrent broadcasts in increasing order, which is what
// makes "replay after the last offset seen" exact.
func TestMemoryRecoveryOffsetOrder(t *testing.T) {
	m := newRecMemory(t, Recovery{MaxDisconnectionDuration: time.Minute})
	socks := make([]*recSocket, 5)
	for i := range socks {
		socks[i] = &recSocket{id: fmt.Sprint("s", i)}
		m.AddAll(socks[i], "r")
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				_ = m.Broadcast(&Packet{Namespace: "/", Data: json.RawMessage(`["e"]`)}, BroadcastOptions{Rooms: []string{"r"}})
			}
		}()
	}
	wg.Wait()
	for _, s := range socks {
		if len(s.offsets) != 800 {
			t.Fatalf("%s got %d packets", s.id, len(s.offsets))
		}
		prev := uint64(0)
		for _, off := range s.offsets {
			seq, ok := m.rec.parseOffset(off)
			if !ok || seq <= prev {
				t.Fatalf("%s: offset %q after seq %d", s.id, off, prev)
			}
			prev = seq
		}
	}
}

// TestMemoryRecoveryFootprint reports what a kept session and a kept packet cost.
func TestMemoryRecoveryFootprint(t *testing.T) {
	const n = 10_000
	m := newRecMemory(t, Recovery{MaxDisconnectionDuration: time.Minute, MaxSessions: n, MaxPackets: n})
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%020d", i)
	}
	rooms := []string{"lobby"}
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := heap()
	for i, id := range ids {
		_ = m.PersistSession(&Session{SID: id, PID: ids[n-1-i], Rooms: append([]string{id}, rooms...)})
	}
	perSession := float64(heap()-before) / n
	before = heap()
	for i := 0; i < n; i++ {
		_ = m.Broadcast(&Packet{Namespace: "/", Data: json.RawMessage(`["message",{"text":"hello"}]`)}, BroadcastOptions{Rooms: rooms})
	}
	perPacket := float64(heap()-before) / n
	t.Logf("kept session (id, pid, 2 rooms): %.0f B; kept 30-byte packet: %.0f B", perSession, perPacket)
	if perSession > 400 || perPacket > 400 {
		t.Fatalf("recovery state grew: %.0f B per session, %.0f B per packet", perSession, perPacket)
	}
}

func TestMemoryRecoveryOff(t *testing.T) {
	// A namespace whose Recovery is zero, as a cluster adapter that keeps no packets gives
	// the in-memory adapter of its local rooms: no offsets, no sessions.
	a, err := NewMemory(recNamespace{})
	if err != nil {
		t.Fatal(err)
	}
	s := &recSocket{id: "s1"}
	a.AddAll(s)
	_ = a.Broadcast(&Packet{Namespace: "/", Data: json.RawMessage(`["e"]`)}, BroadcastOptions{})
	if len(s.offsets) != 1 || s.offsets[0] != "" {
		t.Fatalf("offsets %q: an adapter with recovery off added one", s.offsets)
	}
	if err := a.(SessionStore).PersistSession(&Session{SID: "s1", PID: "p1"}); err != nil {
		t.Fatal(err)
	}
	if got, err := a.(SessionStore).RestoreSession(context.Background(), "p1", ""); got != nil || err != nil {
		t.Fatalf("restored %v, %v with recovery off", got, err)
	}
}

// BenchmarkMemoryBroadcastRoomRecovery is BenchmarkMemoryBroadcastRoom with connection
// state recovery on: each broadcast also gets an offset and is kept.
func BenchmarkMemoryBroadcastRoomRecovery(b *testing.B) {
	m := newRecMemory(b, Recovery{MaxDisconnectionDuration: time.Minute})
	for i := 0; i < 1000; i++ {
		m.AddAll(&nopRecSocket{id: fmt.Sprint("s", i)}, "room")
	}
	p := &Packet{Namespace: "/", Data: []byte(`["m"]`)}
	b.ReportAllocs()
	for b.Loop() {
		_ = m.Broadcast(p, BroadcastOptions{Rooms: []string{"room"}, Except: []string{"s0"}})
	}
}

type nopRecSocket struct{ id string }

func (s *nopRecSocket) ID() string                        { return s.id }
func (s *nopRecSocket) Deliver(*Packet)                   {}
func (s *nopRecSocket) DeliverWithAck(*Packet, func(Ack)) {}
func (s *nopRecSocket) Info() SocketInfo                  { return SocketInfo{ID: s.id} }
func (s *nopRecSocket) Join(...string)                    {}
func (s *nopRecSocket) Leave(string)                      {}
func (s *nopRecSocket) Disconnect(bool)                   {}
