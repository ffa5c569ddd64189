package multi

import "github.com/sockgate/sockgate/decorators"

// Declared in a file of its own: the generated files list the gateways and types in source
// order, file by file, whatever order the files were parsed in.

// ChatAdminGateway adds events to "/chat".
type ChatAdminGateway struct {
	decorators.Gateway `namespace:"/chat"`

	_ decorators.Subscribe `ws:"kick"`

	_ decorators.Emits[Line]   `ws:"said"`
	_ decorators.Emits[Kicked] `ws:"kicked"`
}

// Kicked tells who left.
type Kicked struct {
	ID     string `json:"id"`
	Reason string `json:"reason,omitempty"`
}

// OnKick removes a socket.
func (g *ChatAdminGateway) OnKick(id string) error { return nil }
