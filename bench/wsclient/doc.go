// Package wsclient is the load generator's lean client side of HTTP/1.1 and WebSocket
// (RFC 6455): just enough to open Engine.IO sessions over websocket or polling and to read
// and write text frames, with one small read buffer per connection, no allocation per
// frame, and every socket bound to a chosen loopback source address.
//
// It is not a general client: it never negotiates extensions (so no permessage-deflate),
// masks with a zero key (valid per RFC 6455 §5.3, and free), does not verify
// Sec-WebSocket-Accept, and reads responses with Content-Length or chunked bodies only.
//
// # Source addresses
//
// A [Dialer] spreads its connections over several source addresses (127.0.0.x) and sets
// IP_BIND_ADDRESS_NO_PORT, so that the ephemeral port is picked per 4-tuple at connect()
// and each source address has the whole port range for itself. Closing with [Conn.Abort]
// sends a reset instead of a FIN, so that no TIME_WAIT is left behind for the next run.
//
// # Concurrency
//
// A [Conn] has one reader (Next) and any number of writers: writes are serialized by a
// mutex. An [HTTPConn] is used by one goroutine at a time. The package starts no
// goroutines.
package wsclient
