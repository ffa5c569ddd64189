package main

import (
	"encoding/json"

	"github.com/sockgate/sockgate/decorators"
	"github.com/sockgate/sockgate/gateway"
)

// ChatGateway serves namespace "/chat": free-form messages to everyone, and rooms.
type ChatGateway struct {
	decorators.Gateway `namespace:"/chat" use:"jwt"`

	_ decorators.Subscribe `ws:"message"`
	_ decorators.Subscribe `ws:"join-room"`

	// Events the handlers send, declared for the client types and the AsyncAPI document.

	_ decorators.Emits[map[string]any] `ws:"new-message"`
	_ decorators.Emits[string]         `ws:"user-joined"`
}

// NewChatGateway is the gateway's fx constructor.
func NewChatGateway() *ChatGateway { return &ChatGateway{} }

// Status acknowledges an event.
type Status struct {
	Status string `json:"status"`
}

// OnMessage sends the object to everyone in /chat, the sender included, as "new-message"
// with every string in it passed through the HTML policy, and the sender's socket id as
// id (which the client cannot override).
func (g *ChatGateway) OnMessage(s *gateway.Socket, msg map[string]json.RawMessage) (Status, error) {
	out, err := sanitizeObject(msg)
	if err != nil {
		return Status{}, gateway.NewError(gateway.CodeInvalidArgument, "the message must be a JSON object")
	}
	out["id"] = s.ID()
	if err := s.Namespace().Emit("new-message", out); err != nil {
		return Status{}, err
	}
	return Status{Status: "received"}, nil
}

// OnJoinRoom adds the sender to a room and tells the room's other members with
// "user-joined" and the sender's socket id; it acknowledges with the sender's rooms.
func (g *ChatGateway) OnJoinRoom(s *gateway.Socket, room Name) ([]string, error) {
	if err := room.check("room"); err != nil {
		return nil, err
	}
	r := roomOf(room)
	if !s.IsInRoom(r) {
		s.Join(r)
		if err := s.To(r).Emit("user-joined", s.ID()); err != nil {
			return nil, err
		}
	}
	return clientRooms(s), nil
}
