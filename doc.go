// Package sockgate is a framework for real-time servers that speak the Socket.IO protocol,
// in the style of NestJS gateways. This package holds documentation only; import the
// package that does what you need:
//
//   - [github.com/sockgate/sockgate/gateway]: the runtime. A Socket.IO v5 server
//     (an http.Handler), namespaces, sockets, rooms, broadcasts, acknowledgements,
//     middleware, the handler pipeline and the error type clients see.
//   - [github.com/sockgate/sockgate/decorators]: the declaration vocabulary. Gateway and
//     Subscribe markers whose struct tags declare a gateway's namespace and events.
//   - [github.com/sockgate/sockgate/di]: the go.uber.org/fx module that builds gateways
//     with their dependencies and runs the server.
//   - [github.com/sockgate/sockgate/adapter]: the seam to other server processes; the
//     in-memory adapter, and a Redis adapter compatible with Node's.
//   - [github.com/sockgate/sockgate/client]: a Go Socket.IO client with reconnection.
//   - [github.com/sockgate/sockgate/payload]: Args, the arguments of an event as they
//     arrived, one type shared by the server and the client (gateway.Args, client.Args).
//   - [github.com/sockgate/sockgate/metrics]: optional Prometheus metrics of a server.
//   - [github.com/sockgate/sockgate/gateway/gatewaytest]: an in-process server and
//     clients for tests, like net/http/httptest.
//
// The official socket.io-client connects to a sockgate server with its default options:
// Engine.IO v4 over HTTP long-polling and websocket, with the upgrade between them.
package sockgate
