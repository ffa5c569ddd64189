// Package decorators is the vocabulary for declaring gateways: the [Gateway] and
// [Subscribe] marker types and the grammar of their struct tags. It only parses; the
// gateway package reads the tags by reflection at registration and the sockgate code
// generator reads the same tags from source, both through [ParseGatewayTag],
// [ParseSubscribeTag] and [ParseEmitsTag], so a tag means the same thing to both.
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
// Go string literals. Unlike reflect.StructTag.Lookup, the parsers here report malformed
// pairs, duplicate keys and unknown keys (a misspelt key would otherwise be ignored
// without a word). Every error is a [*TagError] naming the key and the value; match its
// kind with errors.Is and [ErrSyntax], [ErrUnknownKey], [ErrDuplicateKey],
// [ErrMissingKey], [ErrInvalidValue] or [ErrReservedEvent].
//
// Gateway keys: namespace, pattern, use, rate ([ParseGatewayTag]). Subscribe keys: ws, handler,
// use, rate ([ParseSubscribeTag], [ParseRate], [MethodName]). Emits keys: ws
// ([ParseEmitsTag], [EmitsPayload]).
//
// # Dependencies and concurrency
//
// The package uses the standard library only, so that any part of sockgate and its code
// generator can import it. Its reserved event names ([IsReserved]) are the protocol's
// list, also kept by the wire codec. It starts no goroutines, and every function is safe
// for concurrent use.
package decorators
