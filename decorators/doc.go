// Package decorators is the vocabulary for declaring gateways: the [Gateway] and
// [Subscribe] marker types and the grammar of their struct tags. It only parses; the
// gateway package reads the tags by reflection at registration and the sockgate code
// generator reads the same tags from source, both through one parser, so a tag means the
// same thing to both.
//
// # Declaring a gateway
//
// Go methods cannot carry tags, so events are declared in blank fields of type
// [Subscribe], and the method handling each one is found by name:
//
//	type ChatGateway struct {
//		decorators.Gateway `namespace:"/chat" use:"jwt"`
//
//		_ decorators.Subscribe `ws:"message"`                   // method OnMessage
//		_ decorators.Subscribe `ws:"join-room" handler:"Join"`  // explicit method name
//		_ decorators.Subscribe `ws:"typing" rate:"20/s" use:"audit"`
//
//		store *Store
//	}
//
//	func (g *ChatGateway) OnMessage(ctx context.Context, s *gateway.Socket, in Message) (Receipt, error)
//
// The events the server sends are declared the same way, with their payload type, in
// blank fields of type [Emits]. The runtime does not enforce them; the code generator
// turns them into the clients' TypeScript event types and the AsyncAPI document:
//
//	_ decorators.Emits[ChatMessage] `ws:"new-message"`
//
// A gateway serving every namespace that matches a regular expression uses pattern
// instead of namespace:
//
//	type RoomGateway struct {
//		decorators.Gateway `pattern:"^/room-\\d+$"`
//	}
//
// # Tag grammar
//
// Tags follow Go's conventional syntax: space-separated key:"value" pairs whose values are
// Go string literals. Unlike reflect.StructTag.Lookup, registration and the code generator
// report malformed pairs, duplicate keys and unknown keys (a misspelt key would otherwise
// be ignored without a word). Every error is a [*TagError] naming the key and the value;
// match its kind with errors.Is and [ErrSyntax], [ErrUnknownKey], [ErrDuplicateKey],
// [ErrMissingKey], [ErrInvalidValue] or [ErrReservedEvent].
//
// Gateway keys:
//
//   - namespace:"/chat" — the namespace name. It starts with "/" and holds no comma (the
//     wire protocol ends a namespace at the first comma) and no control character.
//     Without namespace and pattern, the gateway serves the main namespace "/".
//   - pattern:"^/dyn-\\d+$" — instead of namespace: a Go regular expression (package
//     regexp syntax). Every namespace name it matches is created when a client first
//     connects to it. The expression is not anchored for you: write ^ and $ to match whole
//     names. Backslashes are doubled because tag values are Go string literals.
//   - use:"jwt,audit" — as for Subscribe, applied to every event of the gateway.
//   - rate:"100/m,burst=20" — the limit of each of the gateway's events that has no rate:
//     key of its own, per socket and event; see [ParseRate].
//
// Subscribe keys:
//
//   - ws:"join-room" — the event name (required). It must not be one of the names
//     socket.io reserves (see [IsReserved]).
//   - handler:"Join" — the method handling the event, an exported Go identifier. Without
//     it the method is "On" followed by the event in PascalCase: every run of characters
//     other than letters and digits separates words, and each word gets an upper-case
//     first letter ("join-room" -> "OnJoinRoom", "chat:message" -> "OnChatMessage").
//   - use:"jwt,audit" — comma-separated names of guards, pipes, interceptors and filters,
//     applied in order; spaces around names are ignored, empty and repeated names are
//     errors.
//   - rate:"20/s" or rate:"100/m,burst=20" — at most that many events per interval from
//     one socket, as a token bucket; see [ParseRate]. It replaces the gateway's rate.
//
// Emits keys:
//
//   - ws:"new-message" — the event name (required), not a reserved one. [EmitsPayload]
//     gives an Emits type's payload by reflection.
//
// # Dependencies and concurrency
//
// The package uses the standard library only, so that any part of sockgate and its code
// generator can import it. Its reserved event names ([IsReserved]) are the protocol's
// list, also kept by the wire codec. It starts no goroutines, and every function is safe
// for concurrent use.
package decorators
