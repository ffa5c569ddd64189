// Package benchsrv holds what the Go benchmark servers share besides their protocol: the
// admin endpoint GET /__bench/mem (collect garbage, return memory counters as JSON, and
// write a heap profile when asked) and the CPU profile of a run.
//
// The counters use the same names for every server so that the generator can read them
// alike: heap (live heap bytes after the collection: Go HeapAlloc, Node heapUsed), stack
// (goroutine stacks), sys, goroutines.
//
// # Concurrency
//
// The handler is safe for concurrent use; the package starts no goroutines.
package benchsrv
