// Package eiocodec is the Engine.IO v4 packet codec shared by the server
// (internal/engineio) and the Go client: packet types, the text form of one
// packet (a polling payload segment or a websocket text frame), polling
// payloads, and the JSON of the open packet. It holds no session, socket or
// goroutine, so a client links the codec without the server.
//
// [DecodePacket], [AppendPacket], [DecodePayload] and [AppendPayload] handle
// the text forms of packets (segments separated by [RecordSeparator], binary
// as 'b' plus base64). A websocket binary frame is always a message carrying
// the raw bytes. [OpenPacket] is the JSON body of the handshake.
package eiocodec
