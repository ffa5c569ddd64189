// Package multi is a golden test of sockgate gen: several namespaces, two gateways sharing
// one, and a pattern namespace.
package multi

import (
	"github.com/sockgate/sockgate/decorators"
	"github.com/sockgate/sockgate/gateway"
)

// ChatGateway serves "/chat".
type ChatGateway struct {
	decorators.Gateway `namespace:"/chat"`

	_ decorators.Subscribe `ws:"say"`

	_ decorators.Emits[Line] `ws:"said"`
}

// Line is a line of chat.
type Line struct {
	Text string `json:"text" validate:"required"`
}

// OnSay says a line.
func (g *ChatGateway) OnSay(s *gateway.Socket, in Line) (Line, error) { return in, nil }

// AdminUsersGateway serves "/admin/users".
type AdminUsersGateway struct {
	decorators.Gateway `namespace:"/admin/users" rate:"5/10s,burst=2"`

	_ decorators.Subscribe `ws:"list"`
}

// User is a user.
type User struct {
	ID    string `json:"id" validate:"uuid"`
	Email string `json:"email" validate:"required,email"`
	Age   uint8  `json:"age" validate:"gt=0,lte=150"`
}

// OnList lists users.
func (g *AdminUsersGateway) OnList() ([]User, error) { return nil, nil }

// GameGateway serves every namespace "/game-<n>".
type GameGateway struct {
	decorators.Gateway `pattern:"^/game-\\d+$"`

	_ decorators.Subscribe `ws:"chat:move"`
}

// OnChatMove makes a move.
func (g *GameGateway) OnChatMove(x, y int) {}
