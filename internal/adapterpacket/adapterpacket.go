// Package adapterpacket is the server's private way into an adapter.Packet: the Engine.IO
// messages that carry it, encoded once and shared by every recipient. No exported method
// of package adapter names an internal type, so the accessor is registered here by
// package adapter, which this package cannot import without a cycle.
package adapterpacket

// Messages is a func(*adapter.Packet) []*engineio.Message, set by package adapter when it
// is initialized: the packet's messages, built on the first call and shared afterwards.
var Messages any
