// Package interop checks sockgate against the official socket.io-client 4.8 from npm,
// driven through package interoptest: events, acknowledgements and binary attachments in
// both directions, namespaces multiplexed on one connection, middleware refusals, server
// disconnects, reconnection after a server restart, rooms and volatile broadcasts, and
// messages at and over MaxHTTPBufferSize, over polling with upgrade, websocket only and
// polling only.
//
// It holds tests only. They run when SOCKGATE_INTEROP=1 (as in `make test`) and are
// skipped otherwise; see README.md.
package interop
