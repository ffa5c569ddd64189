package gateway

import (
	"encoding/json"
	"testing"

	"github.com/sockgate/sockgate/internal/socketio"
	"github.com/sockgate/sockgate/payload"
)

// TestExecContextPerHandler: the first gateway handler of an event gets the context
// allocated with it, any later one a context of its own.
func TestExecContextPerHandler(t *testing.T) {
	e := &Event{}
	a, b := e.execContext(), e.execContext()
	if a != &e.ecMem || b == a {
		t.Fatalf("contexts %p %p, event's %p", a, b, &e.ecMem)
	}
}

// TestBodyFastPath: raw JSON and plain string bodies come out of Body without the general
// path, a RawMessage as the handler's own copy; a null or missing argument is the zero
// value.
func TestBodyFastPath(t *testing.T) {
	raw, err := socketio.SplitArgs(json.RawMessage(`[{"x":1},"hi",null]`))
	if err != nil {
		t.Fatal(err)
	}
	e := &Event{Args: payload.NewArgs(raw, nil)}
	a, err := Body[json.RawMessage](e, 0)
	if err != nil || string(a) != `{"x":1}` {
		t.Fatalf("Body = %q, %v", a, err)
	}
	a[0] = 'X'
	if raw[0][0] != '{' {
		t.Fatal("the RawMessage body aliases the event's arguments")
	}
	if s, err := Body[string](e, 1); err != nil || s != "hi" {
		t.Fatalf("string body %q, %v", s, err)
	}
	for _, n := range []int{2, 3} {
		if r, err := Body[json.RawMessage](e, n); err != nil || r != nil {
			t.Fatalf("argument %d: %q, %v", n, r, err)
		}
	}
}
