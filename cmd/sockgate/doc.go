// Command sockgate writes code for sockgate applications: new gateways, and what clients
// and documentation need from existing ones.
//
//	sockgate new gateway <Name> [-namespace /x] [-events a,b] [-dir dir]
//	sockgate gen [-go=false] [-ts file] [-asyncapi file] [-version v] [packages]
//
// # sockgate new gateway
//
// Writes <name>_gateway.go, a gateway type with its decorators markers (a Subscribe field
// per event of -events, default "ping", and an Emits field for the event each handler
// sends back), a request and a reply type and a documented handler per event; and
// <name>_gateway_test.go, a test per event that runs the gateway on a
// gatewaytest.Server and checks the acknowledgement, the event sent back and the refusal
// of an invalid body. The namespace is -namespace, by default "/" and the name in kebab
// case. It refuses to overwrite either file, and prints the line that registers the
// gateway in an fx application (di.Gateway).
//
// # sockgate gen
//
// Reads the gateway types of the packages (default: the package in the current directory,
// as with //go:generate go run github.com/sockgate/sockgate/cmd/sockgate gen) with
// go/packages and go/types. Tags go through the decorators parsers, and handler
// signatures through the same rules as the runtime's registration, so that a declaration
// the runtime would refuse is refused here too, with every problem named. It writes, in
// each package's directory:
//
//   - zz_sockgate.go (unless -go=false): the handler specs of every gateway as typed code,
//     registered from init with gateway.RegisterGenerated. Each spec's Invoke decodes,
//     validates and pipes the bodies with gateway.Body[T] and calls the method directly,
//     so that a method whose signature no longer fits is a compile error; gateway.Register
//     then uses these specs instead of reflection, and refuses the gateway when they no
//     longer match its tags (events, methods, use names, rates) or were written for
//     another handler seam version (the sockgateSeamVersion constant).
//   - sockgate-events.ts (-ts): TypeScript interfaces of the events of each namespace,
//     for typed sockets of socket.io-client: ClientToServerEvents and
//     ServerToClientEvents for the main namespace (and for a package's only namespace),
//     <Prefix>ClientToServerEvents and <Prefix>ServerToClientEvents for the others
//     ("/chat" gives Chat), and an interface per payload type with the JSON names of its
//     fields. Client events come from Subscribe fields and their handlers' signatures,
//     server events from Emits fields (decorators.Emits[T]).
//   - asyncapi.json (-asyncapi): an AsyncAPI 3.0 document with a channel per namespace, an
//     operation per event, acknowledgements as replies, the error body, and JSON Schemas
//     of the payloads with the constraints of their validate tags.
//
// Stale generated code never stops the generator: it reads the package with
// zz_sockgate.go blanked. A file whose content would not change is not rewritten.
package main
