package wire

import (
	"github.com/sockgate/sockgate/internal/eiocodec"
	"github.com/sockgate/sockgate/internal/engineio"
	"github.com/sockgate/sockgate/internal/socketio"
)

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
