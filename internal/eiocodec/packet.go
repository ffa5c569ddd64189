package eiocodec

import (
	"encoding/base64"
	"errors"
	"fmt"
)

// Packet type bytes, as they appear first in the text encoding of a packet.
const (
	PacketOpen    byte = '0'
	PacketClose   byte = '1'
	PacketPing    byte = '2'
	PacketPong    byte = '3'
	PacketMessage byte = '4'
	PacketUpgrade byte = '5'
	PacketNoop    byte = '6'
)

// binaryPrefix starts a base64 binary message in a polling payload (and on a
// websocket whose client asked for b64=1).
const binaryPrefix byte = 'b'

// RecordSeparator separates the packets of a polling payload.
const RecordSeparator byte = 0x1e

// ErrInvalidPacket is the error (wrapped) of every decode failure.
var ErrInvalidPacket = errors.New("engineio: invalid packet")

// Packet is one decoded Engine.IO packet.
type Packet struct {
	// Type is one of the Packet* constants.
	Type byte
	// Data is what follows the type byte; for a binary message, the raw bytes.
	Data []byte
	// Binary marks a binary message; Type is then PacketMessage.
	Binary bool
}

// DecodePacket decodes the text form of one packet: a polling payload segment
// or a websocket text frame. A segment starting with 'b' is a binary message
// in standard base64. A websocket binary frame is not a text packet: it is
// always Packet{Type: PacketMessage, Data: frame, Binary: true}.
//
// For text packets Data aliases b (its capacity is capped at its length, so an
// append by the receiver cannot clobber what follows it in b); a binary
// message gets a fresh slice.
func DecodePacket(b []byte) (Packet, error) {
	if len(b) == 0 {
		return Packet{}, fmt.Errorf("%w: empty", ErrInvalidPacket)
	}
	t := b[0]
	if t == binaryPrefix {
		raw := b[1:]
		data := make([]byte, base64.StdEncoding.DecodedLen(len(raw)))
		n, err := base64.StdEncoding.Decode(data, raw)
		if err != nil {
			return Packet{}, fmt.Errorf("%w: base64: %w", ErrInvalidPacket, err)
		}
		return Packet{Type: PacketMessage, Data: data[:n:n], Binary: true}, nil
	}
	if t < PacketOpen || t > PacketNoop {
		return Packet{}, fmt.Errorf("%w: unknown type %q", ErrInvalidPacket, t)
	}
	return Packet{Type: t, Data: b[1:len(b):len(b)]}, nil
}

// AppendPacket appends the text form of p to dst: the type byte and the data,
// or for a binary message 'b' and the standard base64 (with padding) of the data.
func AppendPacket(dst []byte, p Packet) []byte {
	if p.Binary {
		dst = append(dst, binaryPrefix)
		return base64.StdEncoding.AppendEncode(dst, p.Data)
	}
	dst = append(dst, p.Type)
	return append(dst, p.Data...)
}

// DecodePayload decodes a polling payload (packets separated by
// RecordSeparator) and calls fn for each packet in order. It stops at the
// first decode error, or at the first error returned by fn, and returns it.
// The Data of text packets aliases payload (capacity capped, see DecodePacket).
func DecodePayload(payload []byte, fn func(Packet) error) error {
	for start := 0; ; {
		end := start
		for end < len(payload) && payload[end] != RecordSeparator {
			end++
		}
		p, err := DecodePacket(payload[start:end:end])
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
		if end == len(payload) {
			return nil
		}
		start = end + 1
	}
}

// AppendPayload appends the polling payload of packets to dst.
func AppendPayload(dst []byte, packets ...Packet) []byte {
	for i, p := range packets {
		if i > 0 {
			dst = append(dst, RecordSeparator)
		}
		dst = AppendPacket(dst, p)
	}
	return dst
}

// OpenPacket is the JSON payload of the open packet ("0{...}") that starts a
// session. Durations are in milliseconds, MaxPayload in bytes.
type OpenPacket struct {
	SID          string   `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval int64    `json:"pingInterval"`
	PingTimeout  int64    `json:"pingTimeout"`
	MaxPayload   int64    `json:"maxPayload"`
}
