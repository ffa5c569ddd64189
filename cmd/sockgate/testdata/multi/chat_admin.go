package multi

import (
	"time"

	"github.com/sockgate/sockgate/decorators"
	"github.com/sockgate/sockgate/gateway"
)

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
	// Ban is how long the socket may not come back, in nanoseconds.
	Ban time.Duration `json:"ban"`
	// Rules are the rules the socket broke, as validation errors describe them.
	Rules []gateway.FieldError `json:"rules,omitempty"`
	// Code says why, as error codes do.
	Code gateway.Code `json:"code"`
}

// OnKick removes a socket.
func (g *ChatAdminGateway) OnKick(id string) error { return nil }
