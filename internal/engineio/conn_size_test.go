package engineio

import (
	"testing"
	"unsafe"
)

// TestConnSize keeps Conn within its allocation size class: every session holds one, so
// a field added to it, or a small field that breaks a word in two, is paid by every
// connection (issue 12: idle memory per connection).
func TestConnSize(t *testing.T) {
	const budget = 288 // a size class of the Go allocator
	if got := unsafe.Sizeof(Conn{}); got > budget {
		t.Fatalf("Conn is %d bytes, over its %d-byte budget", got, budget)
	}
}
