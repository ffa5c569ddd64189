// Package adaptertest is the behaviour suite every adapter.Adapter must pass: room
// membership, broadcast selection (rooms, except, socket ids as rooms that other sockets
// may join too, one delivery per socket), one shared packet per broadcast, broadcasts
// with acknowledgements, fetching, and the cluster-wide join, leave and disconnect
// operations.
//
//	func TestMemory(t *testing.T) {
//		adaptertest.Run(t, func(tb testing.TB, ns adapter.Namespace) adapter.Adapter {
//			a, _ := adapter.NewMemory(ns)
//			return a
//		})
//	}
//
// The recording [Socket] and [Namespace] stand in for the gateway's; their methods are
// safe for concurrent use.
package adaptertest
