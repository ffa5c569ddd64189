package wire

import (
	"github.com/sockgate/sockgate/internal/eiocodec"
	"github.com/sockgate/sockgate/internal/engineio"
	"github.com/sockgate/sockgate/internal/socketio"
)

// PacketMessages is the accessor of an adapter.Packet's encoded messages, a
// func(*adapter.Packet) []*engineio.Message set by package adapter (which this package
// cannot name without an import cycle). The messages are encoded once per packet and
// shared by every recipient.
var PacketMessages any

// Messages encodes p as one Engine.IO text message followed by one binary message per
// attachment. The packet type must already say whether it is binary (5, 6) when p has
// attachments. The result may be shared by any number of connections.
func Messages(p *socketio.Packet) []*engineio.Message {
	buf := make([]byte, 1, 8+len(p.Namespace)+len(p.Data))
	buf[0] = eiocodec.PacketMessage
	buf = socketio.AppendPacket(buf, p)
	if len(p.Attachments) == 0 {
		return []*engineio.Message{engineio.NewTextMessage(buf)}
	}
	msgs := make([]*engineio.Message, 0, 1+len(p.Attachments))
	msgs = append(msgs, engineio.NewTextMessage(buf))
	for _, a := range p.Attachments {
		msgs = append(msgs, engineio.NewBinaryMessage(a))
	}
	return msgs
}
