// Package adapter is the seam between a namespace and the sockets it can reach: room
// membership, broadcasts, and the operations that span several server processes.
//
// A [gateway.Namespace] owns one [Adapter]. The in-memory adapter ([NewMemory]) serves a single
// process and is the default; a cluster adapter (for example the Redis adapter in
// adapter/redis) implements the same interface and forwards what it cannot do locally to the
// other nodes. Every adapter must pass the shared behaviour suite in adapter/adaptertest.
//
// # Packets
//
// A broadcast carries one [Packet]: the Socket.IO EVENT payload as raw JSON with binary
// placeholders, plus the attachments. The packet is encoded for the wire at most once, by
// the first local recipient's Socket.Deliver, and the same encoded messages are handed to
// every other one.
// Cluster adapters see the same raw JSON and attachments, which is what the
// @socket.io/redis-adapter wire format needs.
//
// # Connection state recovery
//
// An adapter that implements [SessionStore] keeps, when its [Namespace]'s Recovery is
// enabled, the sessions of sockets whose connection was lost and the packets broadcast
// since, each with an offset ([Packet.WithOffset]), so that a reconnecting client gets its
// socket and the packets it missed back. The in-memory adapter does it within one process,
// bounded by [Recovery]; adaptertest.Run checks it for every adapter that implements
// SessionStore.
//
// # Concurrency
//
// Every method of an Adapter is safe for concurrent use. Adapters never call into a
// [Socket] while holding their own locks for anything but [Socket.Deliver], which must not
// block and must not call back into the adapter.
package adapter
