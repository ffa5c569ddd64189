package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/sockgate/sockgate/decorators"
	"github.com/sockgate/sockgate/gateway"
)

// NotificationsNamespace is where subscribers of notification channels connect.
const NotificationsNamespace = "/notifications"

// NotificationsGateway serves namespace "/notifications": sockets subscribe to channels,
// and POST /notify (see Notifier) emits to them.
type NotificationsGateway struct {
	decorators.Gateway `namespace:"/notifications" use:"jwt"`

	_ decorators.Subscribe `ws:"subscribe"`
	_ decorators.Subscribe `ws:"unsubscribe"`
}

// NewNotificationsGateway is the gateway's fx constructor.
func NewNotificationsGateway() *NotificationsGateway { return &NotificationsGateway{} }

// Subscription acknowledges subscribe and unsubscribe.
type Subscription struct {
	Status  string `json:"status"`
	Channel Name   `json:"channel"`
}

// OnSubscribe adds the sender to a channel.
func (g *NotificationsGateway) OnSubscribe(s *gateway.Socket, channel Name) (Subscription, error) {
	if err := channel.check("channel"); err != nil {
		return Subscription{}, err
	}
	s.Join(channelOf(channel))
	return Subscription{Status: "subscribed", Channel: channel}, nil
}

// OnUnsubscribe removes the sender from a channel.
func (g *NotificationsGateway) OnUnsubscribe(s *gateway.Socket, channel Name) (Subscription, error) {
	if err := channel.check("channel"); err != nil {
		return Subscription{}, err
	}
	s.Leave(channelOf(channel))
	return Subscription{Status: "unsubscribed", Channel: channel}, nil
}

// Notifier emits notifications to the subscribers of a channel. It is safe for
// concurrent use.
type Notifier struct {
	nsp *gateway.Namespace
}

// NewNotifier returns the notifier of the server's notifications namespace.
func NewNotifier(srv *gateway.Server) (*Notifier, error) {
	nsp, err := srv.Of(NotificationsNamespace)
	if err != nil {
		return nil, fmt.Errorf("chat: notifications namespace: %w", err)
	}
	return &Notifier{nsp: nsp}, nil
}

// ErrBadNotification is wrapped by Notify's refusals of its input.
var ErrBadNotification = errors.New("bad notification")

// Notify emits event with data (no argument when data is empty) to the subscribers of
// channel, and returns how many there were on this node (in a cluster, the other nodes'
// subscribers receive it too but are not counted).
func (n *Notifier) Notify(channel Name, event string, data json.RawMessage) (int, error) {
	if err := channel.check("channel"); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrBadNotification, err)
	}
	if !checkName(event, maxNameLength) {
		return 0, fmt.Errorf("%w: event must have 1 to %d letters, digits, '-', '_', '.' or ':'", ErrBadNotification, maxNameLength)
	}
	if !utf8.Valid(data) {
		return 0, fmt.Errorf("%w: data must be valid UTF-8", ErrBadNotification)
	}
	if len(data) > 0 {
		clean, err := sanitizeJSON(data)
		if err != nil {
			return 0, fmt.Errorf("%w: data is not JSON", ErrBadNotification)
		}
		data = clean
	}
	room := channelOf(channel)
	// Counted before emitting: the emit itself does not report its recipients.
	count := len(n.nsp.To(room).LocalSocketIDs())
	var args []any
	if len(data) > 0 {
		args = append(args, data)
	}
	if err := n.nsp.To(room).Emit(event, args...); err != nil {
		if errors.Is(err, gateway.ErrReservedEvent) {
			return 0, fmt.Errorf("%w: %q is a reserved event name", ErrBadNotification, event)
		}
		return 0, err
	}
	return count, nil
}
