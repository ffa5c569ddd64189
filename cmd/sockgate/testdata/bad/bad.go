// Package bad is a test of sockgate gen's errors: every problem of a declaration is
// reported, as the runtime's registration reports them.
package bad

import (
	"github.com/sockgate/sockgate/decorators"
	"github.com/sockgate/sockgate/gateway"
)

// BadGateway has one problem per field.
type BadGateway struct {
	decorators.Gateway `namespace:"chat"`

	_ decorators.Subscribe `ws:"a" colour:"red"`
	_ decorators.Subscribe `ws:"disconnect"`
	_ decorators.Subscribe `ws:"missing"`
	_ decorators.Subscribe `ws:"twice"`
	_ decorators.Subscribe `ws:"twice"`
	_ decorators.Subscribe `ws:"chan"`
	_ decorators.Subscribe `ws:"results"`

	_ decorators.Emits[string] `ws:"connect"`
	_ decorators.Emits[func()] `ws:"f"`
}

func (g *BadGateway) OnTwice() {}

func (g *BadGateway) OnChan(c chan int) {}

func (g *BadGateway) OnResults(s *gateway.Socket) (int, int) { return 0, 0 }
