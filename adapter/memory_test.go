package adapter_test

import (
	"testing"

	"github.com/sockgate/sockgate/adapter"
	"github.com/sockgate/sockgate/adapter/adaptertest"
)

// TestMemory runs the behaviour suite, recovery cases included, on a cluster of one.
func TestMemory(t *testing.T) {
	adaptertest.Run(t, 1, func(testing.TB, int) []adapter.Factory {
		return []adapter.Factory{adapter.NewMemory}
	})
}

// BenchmarkMemoryBroadcastRoom measures the adapter's share of a broadcast to a room of
// 1,000 sockets: selecting them and handing each the shared packet.
func BenchmarkMemoryBroadcastRoom(b *testing.B) {
	a, _ := adapter.NewMemory(&adaptertest.Namespace{NameValue: "/"})
	for i := 0; i < 1000; i++ {
		s := &nopSocket{id: string(rune('a'+i%26)) + string(rune('0'+i/26%10)) + string(rune('0'+i/260))}
		a.AddAll(s, "room")
	}
	p := &adapter.Packet{Namespace: "/", Data: []byte(`["m"]`)}
	b.ReportAllocs()
	for b.Loop() {
		_ = a.Broadcast(p, adapter.BroadcastOptions{Rooms: []string{"room"}, Except: []string{"a00"}})
	}
}

type nopSocket struct{ id string }

func (s *nopSocket) ID() string                                        { return s.id }
func (s *nopSocket) Deliver(*adapter.Packet)                           {}
func (s *nopSocket) DeliverWithAck(*adapter.Packet, func(adapter.Ack)) {}
func (s *nopSocket) Info() adapter.SocketInfo                          { return adapter.SocketInfo{ID: s.id} }
func (s *nopSocket) Join(...string)                                    {}
func (s *nopSocket) Leave(string)                                      {}
func (s *nopSocket) Disconnect(bool)                                   {}
