package main

import (
	"github.com/sockgate/sockgate/decorators"
	"github.com/sockgate/sockgate/gateway"
)

// MainGateway serves namespace "/": messages to everyone, typing notices, and rooms.
type MainGateway struct {
	decorators.Gateway `namespace:"/" use:"jwt,sanitize"`

	// 100 messages per minute per socket, 100 at once: the limit of the Node guide.
	_ decorators.Subscribe `ws:"message" rate:"100/m,burst=100"`
	_ decorators.Subscribe `ws:"typing"`
	_ decorators.Subscribe `ws:"join-room"`
	_ decorators.Subscribe `ws:"leave-room"`
	_ decorators.Subscribe `ws:"room-message" rate:"100/m,burst=100"`

	// Events the handlers send, declared for the client types and the AsyncAPI document.

	_ decorators.Emits[MessageReceived] `ws:"message-received"`
	_ decorators.Emits[ChatMessage]     `ws:"new-message"`
	_ decorators.Emits[RoomChatMessage] `ws:"new-message"`
	_ decorators.Emits[ChatMessage]     `ws:"message-broadcast"`
	_ decorators.Emits[UserTyping]      `ws:"user-typing"`
	_ decorators.Emits[UserNotice]      `ws:"user-joined"`
	_ decorators.Emits[UserNotice]      `ws:"user-left"`

	clock Clock
}

// NewMainGateway is the gateway's fx constructor.
func NewMainGateway(clock Clock) *MainGateway {
	return &MainGateway{clock: clock}
}

// Message is the body of "message". The sanitize pipe (use:"sanitize") removes the
// text's HTML after validation.
type Message struct {
	// ID is the client's id for the message, echoed as sent.
	ID   MessageID `json:"id,omitempty"`
	Text string    `json:"text" validate:"required,max=1000" sanitize:"html"`
}

// MessageReceived tells the sender its message went out.
type MessageReceived struct {
	ID MessageID `json:"id,omitempty"`
}

// ChatMessage is a message as others see it: text without HTML, and who sent it.
type ChatMessage struct {
	ID     MessageID `json:"id,omitempty"`
	Text   string    `json:"text"`
	UserID string    `json:"userId"`
}

// Typing is the body of "typing".
type Typing struct {
	IsTyping bool `json:"isTyping"`
}

// UserTyping tells the others who is typing.
type UserTyping struct {
	IsTyping bool   `json:"isTyping"`
	UserID   string `json:"userId"`
}

// Receipt acknowledges a message.
type Receipt struct {
	Status string `json:"status"`
	// Timestamp is when the server handled the message, in Unix milliseconds.
	Timestamp int64 `json:"timestamp"`
}

// UserNotice names the user a room event is about.
type UserNotice struct {
	UserID string `json:"userId"`
}

// RoomMessage is the body of "room-message".
type RoomMessage struct {
	Room Name   `json:"room" validate:"required,max=128"`
	Text string `json:"text" validate:"required,max=1000" sanitize:"html"`
}

// RoomChatMessage is a room message as the room sees it.
type RoomChatMessage struct {
	Room   Name   `json:"room"`
	Text   string `json:"text"`
	UserID string `json:"userId"`
}

// OnMessage sends a message: "message-received" to the sender, "new-message" to everyone
// else, "message-broadcast" to everyone; the receipt is the acknowledgement.
func (g *MainGateway) OnMessage(s *gateway.Socket, in Message) (Receipt, error) {
	out := ChatMessage{ID: in.ID, Text: in.Text, UserID: userOf(s)}
	if err := s.Emit("message-received", MessageReceived{ID: in.ID}); err != nil {
		return Receipt{}, err
	}
	if err := s.Broadcast().Emit("new-message", out); err != nil {
		return Receipt{}, err
	}
	if err := s.Namespace().Emit("message-broadcast", out); err != nil {
		return Receipt{}, err
	}
	return Receipt{Status: "received", Timestamp: g.clock().UnixMilli()}, nil
}

// OnTyping relays the sender's typing state to everyone else as "user-typing", with the
// sender's user id.
func (g *MainGateway) OnTyping(s *gateway.Socket, in Typing) error {
	return s.Broadcast().Emit("user-typing", UserTyping{IsTyping: in.IsTyping, UserID: userOf(s)})
}

// OnJoinRoom adds the sender to a room, tells the room's other members with
// "user-joined", and acknowledges with the sender's rooms.
func (g *MainGateway) OnJoinRoom(s *gateway.Socket, room Name) ([]string, error) {
	if err := room.check("room"); err != nil {
		return nil, err
	}
	r := roomOf(room)
	if !s.IsInRoom(r) {
		s.Join(r)
		if err := s.To(r).Emit("user-joined", UserNotice{UserID: userOf(s)}); err != nil {
			return nil, err
		}
	}
	return clientRooms(s), nil
}

// OnLeaveRoom removes the sender from a room and tells the remaining members with
// "user-left"; it acknowledges with the sender's rooms.
func (g *MainGateway) OnLeaveRoom(s *gateway.Socket, room Name) ([]string, error) {
	if err := room.check("room"); err != nil {
		return nil, err
	}
	r := roomOf(room)
	if s.IsInRoom(r) {
		s.Leave(r)
		if err := s.To(r).Emit("user-left", UserNotice{UserID: userOf(s)}); err != nil {
			return nil, err
		}
	}
	return clientRooms(s), nil
}

// OnRoomMessage sends a message to every member of a room, the sender included. Only
// members may.
func (g *MainGateway) OnRoomMessage(s *gateway.Socket, in RoomMessage) (Receipt, error) {
	if err := in.Room.check("room"); err != nil {
		return Receipt{}, err
	}
	r := roomOf(in.Room)
	if !s.IsInRoom(r) {
		return Receipt{}, gateway.NewError(gateway.CodePermissionDenied, "join the room before sending to it")
	}
	out := RoomChatMessage{Room: in.Room, Text: in.Text, UserID: userOf(s)}
	if err := s.Namespace().To(r).Emit("new-message", out); err != nil {
		return Receipt{}, err
	}
	return Receipt{Status: "received", Timestamp: g.clock().UnixMilli()}, nil
}
