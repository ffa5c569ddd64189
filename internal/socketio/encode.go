package socketio

import "strconv"

// AppendHeader appends the header of p: its type, the attachment count for binary types,
// the namespace followed by a comma unless it is "/" (or ""), and the ack id when HasID.
//
// An Event or Ack packet that has attachments is written as BinaryEvent or BinaryAck, since
// no other reading would be valid; the attachment count is len(p.Attachments).
func AppendHeader(dst []byte, p *Packet) []byte {
	return appendHeader(dst, p.Type, len(p.Attachments), p.Namespace, p.ID, p.HasID)
}

func appendHeader(dst []byte, t PacketType, attachments int, nsp string, id int64, hasID bool) []byte {
	if attachments > 0 {
		switch t {
		case Event:
			t = BinaryEvent
		case Ack:
			t = BinaryAck
		}
	}
	dst = append(dst, '0'+byte(t))
	if t.IsBinary() {
		dst = strconv.AppendInt(dst, int64(attachments), 10)
		dst = append(dst, '-')
	}
	if nsp != "" && nsp != "/" {
		dst = append(dst, nsp...)
		dst = append(dst, ',')
	}
	if hasID {
		dst = strconv.AppendInt(dst, id, 10)
	}
	return dst
}

// AppendPacket appends the text form of p: AppendHeader followed by p.Data. The
// attachments are not written; the caller sends them as the binary messages that follow.
//
// dst usually already holds the Engine.IO message type '4', so that one buffer becomes the
// whole Engine.IO text packet without a copy.
func AppendPacket(dst []byte, p *Packet) []byte {
	dst = AppendHeader(dst, p)
	return append(dst, p.Data...)
}

// AppendEventPacket appends a whole EVENT packet for namespace nsp, `2<nsp>,<id>["event",
// args...]`, and returns its attachments. When the arguments hold binary values the packet
// becomes a BINARY_EVENT with its attachment count. id is the ack id; a negative id (NoID)
// asks for no ack.
//
// It costs one memmove of the encoded arguments instead of a second buffer. On error, dst
// is returned with its original length.
func AppendEventPacket(dst []byte, nsp string, id int64, event string, args []any) ([]byte, [][]byte, error) {
	return appendPacketArgs(dst, Event, nsp, id, event, true, args)
}

// AppendAckPacket appends a whole ACK packet `3<nsp>,<id>[args...]` (BINARY_ACK when the
// arguments hold binary values) and returns its attachments.
func AppendAckPacket(dst []byte, nsp string, id int64, args []any) ([]byte, [][]byte, error) {
	return appendPacketArgs(dst, Ack, nsp, id, "", false, args)
}

func appendPacketArgs(dst []byte, t PacketType, nsp string, id int64, event string, withEvent bool, args []any) ([]byte, [][]byte, error) {
	orig := len(dst)
	var atts [][]byte
	var err error
	if withEvent {
		dst, atts, err = AppendEvent(dst, event, args)
	} else {
		dst, atts, err = AppendArgs(dst, args)
	}
	if err != nil {
		return dst[:orig], nil, err
	}
	// The header depends on the attachment count, known only now: build it after the data,
	// then rotate it into place.
	bodyEnd := len(dst)
	dst = appendHeader(dst, t, len(atts), nsp, id, id >= 0)
	rotate(dst[orig:], bodyEnd-orig)
	return dst, atts, nil
}

// rotate moves b[k:] to the front of b, keeping both parts' order, in place. The header
// part is short, so it is saved on the stack while the body slides right.
func rotate(b []byte, k int) {
	var small [64]byte
	h := len(b) - k
	if h <= len(small) {
		copy(small[:], b[k:])
		copy(b[h:], b[:k])
		copy(b, small[:h])
		return
	}
	// A header longer than 64 bytes (a long namespace): rotate by three reversals.
	reverse(b[:k])
	reverse(b[k:])
	reverse(b)
}

func reverse(b []byte) {
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
}
