// Package e2e is served in sockgate gen's tests with its generated code: its handlers
// record whether reflection called them, so that the tests can tell which path ran.
package e2e

import (
	"context"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/sockgate/sockgate/decorators"
	"github.com/sockgate/sockgate/gateway"
)

// EchoGateway serves "/echo".
type EchoGateway struct {
	decorators.Gateway `namespace:"/echo"`

	_ decorators.Subscribe `ws:"echo"`
	_ decorators.Subscribe `ws:"sum" handler:"Add"`
	_ decorators.Subscribe `ws:"shout" rate:"100/s,burst=10"`

	// Reflected counts the calls that went through reflection.
	Reflected atomic.Int64
	// Calls counts every call.
	Calls atomic.Int64
}

// Note is the body of "echo".
type Note struct {
	Text string `json:"text" validate:"required,max=10"`
}

// OnEcho acknowledges with the note.
func (g *EchoGateway) OnEcho(ctx context.Context, s *gateway.Socket, in Note) (Note, error) {
	g.record()
	return in, ctx.Err()
}

// Add acknowledges with the sum.
func (g *EchoGateway) Add(a, b int) int {
	g.record()
	return a + b
}

// OnShout sends the text back in capitals as "shouted".
func (g *EchoGateway) OnShout(s *gateway.Socket, text string) error {
	g.record()
	return s.Emit("shouted", strings.ToUpper(text))
}

func (g *EchoGateway) record() {
	g.Calls.Add(1)
	pc := make([]uintptr, 16)
	frames := runtime.CallersFrames(pc[:runtime.Callers(3, pc)])
	for {
		f, more := frames.Next()
		if strings.HasPrefix(f.Function, "reflect.") {
			g.Reflected.Add(1)
			return
		}
		if !more {
			return
		}
	}
}
