// Package socketio is the codec of Socket.IO protocol v5 packets in their JSON form: the
// text header `<type>[<n>-][<namespace>,][<ackId>][<JSON>]`, binary attachments carried as
// the Engine.IO messages that follow a header, and the arguments of events and acks.
//
// # Decoding
//
// A [Decoder] takes the Engine.IO messages of one connection in order and returns whole
// [Packet] values, applying the reference parser's validation rules: known type, attachment
// count only on binary types and at most [Decoder.MaxAttachments], namespace from "/" to the
// first comma (the comma is optional), ack id digits only (0 is a valid id), and a JSON part
// that fits the type (for instance an array starting with a non-reserved event name for
// EVENT). Any violation is an error matching [ErrInvalidPacket]; the connection must then be
// closed. Packet data stays raw JSON: [SplitArgs] and [SplitEvent] cut it into arguments
// without re-encoding, and [Unmarshal], [ResolvePlaceholders] and [DecodeValue] turn
// placeholders back into the []byte attachments they stand for.
//
// # Encoding
//
// [AppendPacket] and [AppendHeader] append to a buffer that usually already holds the
// Engine.IO message type '4', so one buffer is the whole Engine.IO packet. [AppendEvent] and
// [AppendArgs] encode arguments: every []byte becomes a placeholder plus an attachment,
// json.RawMessage is copied verbatim, and everything else is encoded as encoding/json does
// with HTML escaping off. [AppendEventPacket] and [AppendAckPacket] do both in one buffer.
// Attachments are sent by the caller, in order, right after the text packet and with
// nothing else in between.
//
// # Concurrency
//
// The package starts no goroutines. A [Decoder] belongs to one reader and is not safe for
// concurrent use; every function is safe for concurrent use. Decoded packets and encoded
// attachments share memory with the caller's buffers instead of copying them, as each
// function's documentation says.
package socketio
