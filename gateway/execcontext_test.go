package gateway

import "testing"

// TestExecContextPerHandler: the first gateway handler of an event gets the context
// allocated with it, any later one a context of its own.
func TestExecContextPerHandler(t *testing.T) {
	e := &Event{}
	a, b := e.execContext(), e.execContext()
	if a != &e.ecMem || b == a {
		t.Fatalf("contexts %p %p, event's %p", a, b, &e.ecMem)
	}
}
