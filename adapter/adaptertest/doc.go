// Package adaptertest is the behaviour suite every adapter.Adapter must pass: room
// membership, broadcast selection (rooms, except, socket ids as rooms that other sockets
// may join too, one delivery per socket), one shared packet per broadcast, broadcasts
// with acknowledgements, fetching, and the cluster-wide join, leave and disconnect
// operations; connection state recovery for adapters that implement adapter.SessionStore;
// and, on several nodes, that what one node does reaches the others exactly once.
//
//	func TestMemory(t *testing.T) {
//		adaptertest.Run(t, 1, func(testing.TB, int) []adapter.Factory {
//			return []adapter.Factory{adapter.NewMemory}
//		})
//	}
//
// The recording [Socket] and [Namespace] stand in for the gateway's; their methods are
// safe for concurrent use.
package adaptertest
