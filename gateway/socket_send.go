package gateway

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/sockgate/sockgate/adapter"
	"github.com/sockgate/sockgate/internal/eiocodec"
	"github.com/sockgate/sockgate/internal/engineio"
	"github.com/sockgate/sockgate/internal/socketio"
	"github.com/sockgate/sockgate/payload"
)

// Emit sends an event to this socket. It never blocks; it fails with ErrReservedEvent for
// socket.io's reserved names and with an encoding error for values JSON cannot hold.
func (s *Socket) Emit(event string, args ...any) error {
	p, err := encodeEvent(s.nsp.name, event, args)
	if err != nil {
		return err
	}
	if s.nsp.store != nil && s.replied.Load() {
		// Through the adapter, as socket.io does with recovery on, so that the packet gets
		// an offset and is kept. Before the CONNECT reply the socket may not be registered
		// yet: such emits go straight to it.
		return s.nsp.adapter.Broadcast(p, adapter.BroadcastOptions{Rooms: []string{s.id}})
	}
	s.deliver(p)
	return nil
}

// EmitWithAck sends an event and waits for the client's acknowledgement until ctx ends;
// when ctx's deadline passes first it returns ErrAckTimeout.
func (s *Socket) EmitWithAck(ctx context.Context, event string, args ...any) (Args, error) {
	p, err := encodeEvent(s.nsp.name, event, args)
	if err != nil {
		return Args{}, err
	}
	p.ID, p.HasID = s.nsp.ackIDs.Add(1)-1, true
	ch := make(chan adapter.Ack, 1)
	s.deliverWithAck(p, func(a adapter.Ack) { ch <- a })
	select {
	case a := <-ch:
		if a.Err != nil {
			return Args{}, a.Err
		}
		return ackArgs(a)
	case <-ctx.Done():
		s.dropAck(p.ID)
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return Args{}, ErrAckTimeout
		}
		return Args{}, ctx.Err()
	}
}

func (s *Socket) dropAck(id int64) {
	s.mu.Lock()
	fn := s.acks[id]
	delete(s.acks, id)
	s.mu.Unlock()
	if fn != nil {
		fn(adapter.Ack{Err: context.Canceled})
	}
}

// sendMode says how a group of messages is queued.
type sendMode uint8

const (
	sendQueued   sendMode = iota // bounded by the write queue: a full queue is a slow consumer
	sendVolatile                 // dropped when the connection is not writable at once
	sendReply                    // an answer to the client (ack, error report): bounded apart, dropped rather than closing
)

// send queues messages on the connection, or holds them until the CONNECT reply.
func (s *Socket) send(msgs []*engineio.Message, volatile bool) {
	mode := sendQueued
	if volatile {
		mode = sendVolatile
	}
	s.write(msgs, mode)
}

// sendReply queues an answer to the client's own packets: a burst of them never makes
// the connection a slow consumer (issue 8.10).
func (s *Socket) sendReply(msgs []*engineio.Message) { s.write(msgs, sendReply) }

func (s *Socket) sendReplyPacket(p *socketio.Packet) { s.write(packetMessages(p), sendReply) }

func (s *Socket) write(msgs []*engineio.Message, mode sendMode) {
	if !s.replied.Load() {
		s.preMu.Lock()
		if !s.replied.Load() {
			if mode != sendVolatile && s.state.Load() != stateClosed && !s.preOverflow {
				// Bounded like the write queue they will join: a socket sent more before
				// its CONNECT reply than its connection may queue is a slow consumer, and
				// connect closes it instead of replying (a reply is dropped instead).
				if len(s.preBuf) >= s.nsp.srv.cfg.WriteQueueSize {
					if mode != sendReply {
						s.preBuf, s.preOverflow = nil, true
					}
				} else {
					// A copy: the caller's slice may be on its stack (an ack's one message).
					s.preBuf = append(s.preBuf, slices.Clone(msgs))
				}
			}
			s.preMu.Unlock()
			return
		}
		s.preMu.Unlock()
	}
	if s.state.Load() == stateClosed {
		return
	}
	switch mode {
	case sendVolatile:
		s.client.conn.SendVolatile(msgs...)
	case sendReply:
		// Beyond its own bound a reply is dropped; the connection stays.
		_ = s.client.conn.SendReply(msgs...)
	default:
		// A full queue closes the connection (slow consumer); OnClose reports it.
		_ = s.client.conn.Send(msgs...)
	}
}

func (s *Socket) sendPacket(p *socketio.Packet) {
	s.send(packetMessages(p), false)
}

func (s *Socket) sendAck(id int64, args []any) error {
	if len(args) == 1 {
		if _, ok := args[0].(Args); ok {
			data, atts, err := encodeArgs(args)
			if err != nil {
				return err
			}
			typ := socketio.Ack
			if len(atts) > 0 {
				typ = socketio.BinaryAck
			}
			s.sendReplyPacket(&socketio.Packet{Type: typ, Namespace: s.nsp.name, ID: id, HasID: true, Data: data, Attachments: atts})
			return nil
		}
	}
	args, err := expandArgs(args)
	if err != nil {
		return err
	}
	// The whole Engine.IO packet in one buffer: '4', the header, the arguments; sized for
	// the raw arguments so that echoing a body does not grow it.
	buf, atts, err := socketio.AppendAckPacket(append(make([]byte, 0, 64+rawSize(args)), eiocodec.PacketMessage), s.nsp.name, id, args)
	if err != nil {
		return fmt.Errorf("gateway: encoding acknowledgement: %w", err)
	}
	if len(atts) == 0 {
		s.sendReply([]*engineio.Message{engineio.NewTextMessage(buf)})
		return nil
	}
	msgs := make([]*engineio.Message, 0, 1+len(atts))
	msgs = append(msgs, engineio.NewTextMessage(buf))
	for _, a := range atts {
		msgs = append(msgs, engineio.NewBinaryMessage(a))
	}
	s.sendReply(msgs)
	return nil
}

func (s *Socket) onAck(p *socketio.Packet) {
	if !p.HasID {
		return
	}
	s.mu.Lock()
	fn := s.acks[p.ID]
	delete(s.acks, p.ID)
	s.mu.Unlock()
	if fn != nil {
		if o := s.nsp.srv.observer; o != nil {
			o.AckReceived(s.nsp.name)
		}
		fn(adapter.Ack{Data: p.Data, Attachments: p.Attachments})
	}
}

func ackArgs(a adapter.Ack) (Args, error) {
	raw, err := socketio.SplitArgs(a.Data)
	if err != nil {
		return Args{}, fmt.Errorf("gateway: malformed acknowledgement: %w", err)
	}
	return payload.NewArgs(raw, a.Attachments), nil
}
