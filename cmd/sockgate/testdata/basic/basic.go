// Package basic is a golden test of sockgate gen: one gateway on the main namespace with
// every kind of parameter and result, payload types exercising the JSON rules, and
// validate tags.
package basic

import (
	"context"
	"encoding/json"
	"time"

	"github.com/sockgate/sockgate/decorators"
	"github.com/sockgate/sockgate/gateway"
)

// RoomGateway serves the main namespace.
type RoomGateway struct {
	decorators.Gateway `namespace:"/" use:"audit"`

	_ decorators.Subscribe `ws:"message" rate:"20/s"`
	_ decorators.Subscribe `ws:"join-room" handler:"Join"`
	_ decorators.Subscribe `ws:"typing"`
	_ decorators.Subscribe `ws:"upload"`
	_ decorators.Subscribe `ws:"move"`
	_ decorators.Subscribe `ws:"raw"`
	_ decorators.Subscribe `ws:"ping"`
	_ decorators.Subscribe `ws:"whoami"`
	_ decorators.Subscribe `ws:"health"`

	// Sent to everyone when a message is posted.
	_ decorators.Emits[Posted]   `ws:"posted"`
	_ decorators.Emits[Posted]   `ws:"notice"`
	_ decorators.Emits[string]   `ws:"notice"`
	_ decorators.Emits[Presence] `ws:"presence"`

	rooms map[string]int
	Health
}

// Health is embedded: its method handles "health".
type Health struct{}

// OnHealth reports the gateway's health.
func (Health) OnHealth() (string, error) { return "ok", nil }

// Level is how loud a message is.
type Level string

// The levels.
const (
	LevelQuiet  Level = "quiet"
	LevelNormal Level = "normal"
	LevelLoud   Level = "loud"
)

// Meta is embedded: its fields are the message's.
type Meta struct {
	// Sent is when the client sent the message.
	Sent  time.Time `json:"sent"`
	Trace string    `json:"trace,omitempty"`
}

// Message is the body of "message".
type Message struct {
	Meta
	// Text is the message.
	Text     string            `json:"text" validate:"required,max=1000"`
	Level    Level             `json:"level,omitempty" validate:"omitempty,oneof=quiet normal loud"`
	Tags     []string          `json:"tags" validate:"max=5,dive,min=1,max=20"`
	Count    int64             `json:"count,string"`
	Score    float64           `json:"score" validate:"gte=0,lt=10"`
	Reply    *Message          `json:"reply,omitempty"`
	Extra    map[string]int    `json:"extra"`
	Raw      json.RawMessage   `json:"raw"`
	Email    string            `json:"email" validate:"omitempty,email"`
	Mentions map[string]*Level `json:"mentions,omitempty"`
	Hidden   string            `json:"-"`
	internal int
	Plain    bool
}

// Receipt acknowledges a message.
type Receipt struct {
	ID string `json:"id"`
	At int64  `json:"at"`
}

// Posted is a message as others see it.
type Posted struct {
	Text string `json:"text"`
	From string `json:"from"`
}

// Presence is sent with an anonymous struct inside.
type Presence struct {
	Users []struct {
		ID   string `json:"id"`
		Away bool   `json:"away"`
	} `json:"users"`
}

// Move is the body of "move".
type Move struct {
	X int `json:"x" validate:"min=0,max=100"`
	Y int `json:"y" validate:"min=0,max=100"`
}

// OnMessage posts a message.
func (g *RoomGateway) OnMessage(ctx context.Context, s *gateway.Socket, in Message) (Receipt, error) {
	return Receipt{ID: "1"}, nil
}

// Join adds the sender to a room; the acknowledgement lists its rooms.
func (g *RoomGateway) Join(s *gateway.Socket, room string) ([]string, error) {
	return []string{room}, nil
}

// OnTyping relays a typing notice; it has no acknowledgement value.
func (g *RoomGateway) OnTyping(s *gateway.Socket, typing bool) error { return nil }

// OnUpload receives a file as a binary attachment and its name.
func (g *RoomGateway) OnUpload(name string, data []byte) (int, error) { return len(data), nil }

// OnMove takes a pointer body and answers with an event instead of an acknowledgement.
func (g *RoomGateway) OnMove(e *gateway.Event, in *Move) gateway.Response {
	return gateway.Response{Event: "moved", Data: in}
}

// OnRaw takes every argument as sent.
func (g *RoomGateway) OnRaw(args gateway.Args) {}

// OnPing returns a value without an error.
func (g *RoomGateway) OnPing() string { return "pong" }

// OnWhoami returns a map.
func (g *RoomGateway) OnWhoami(ctx context.Context, s *gateway.Socket) (map[string]any, error) {
	return map[string]any{"id": s.ID()}, nil
}
