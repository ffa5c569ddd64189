// Command chat is sockgate's reference application: a chat server with JWT
// authentication, rooms, typing notices, a second namespace and HTTP-triggered
// notifications, each handler a method of a gateway struct built by fx.
//
//	make run                         # or: go run ./examples/chat
//	curl 'localhost:3000/dev/token?user=alice'
//
// # Configuration
//
// From the environment:
//
//	PORT        listening port (default 3000)
//	JWT_SECRET  HS256 secret of the tokens; unset in development mode, a public
//	            development secret is used and printed at start
//	CHAT_DEV    1 (default) enables GET /dev/token; 0 turns it off and requires JWT_SECRET
//	CLIENT_URL  the browser origin allowed to connect and call the HTTP routes, with
//	            credentials (default: same origin only)
//	CHAT_CLIENT_JS  the socket.io-client browser bundle served to the web page
//	REDIS_URL   joins a cluster of chat nodes through Redis (redis:// or rediss://), with
//	            the classic Redis adapter, and sets the "io" cookie for sticky routing;
//	            unset: a single node with the in-memory adapter. REDIS_ADAPTER=sharded
//	            (Redis Cluster) or streams (recovery across nodes) chooses another
//	            one. `make cluster` runs three nodes.
//
// # Contract
//
// Every namespace requires a token in the CONNECT auth payload {token} (socket.io-client:
// io(url, {auth: {token}})). No token: connect_error "Authentication required"; a bad or
// expired one, or one without exp: "Invalid token". The user id is the token's sub claim,
// or its id claim. A socket is disconnected by the server (the client sees "io server
// disconnect") when its token expires, at most 2 seconds late (the leeway).
//
// Namespace "/":
//   - message {id, text} (text: a string of 1 to 1000 characters; id: optional, a number or
//     a string of 1 to 64 letters, digits, - _ . or :): the sender receives
//     message-received {id}; every other socket new-message {id, text, userId}, with the
//     text's HTML removed and the rest escaped for HTML; everyone message-broadcast with
//     the same body. The ack is
//     {status: "received", timestamp} (Unix milliseconds). An invalid message is
//     answered with the error ack and an exception event, code invalid_argument.
//   - typing {isTyping}: every other socket receives user-typing {isTyping, userId}; other
//     fields are dropped.
//   - join-room <room>: the sender joins; the room's other members receive user-joined
//     {userId}; the ack is the sender's rooms (its socket id first).
//   - leave-room <room>: the sender leaves; the remaining members receive user-left
//     {userId}; the ack is the sender's rooms.
//   - room-message {room, text}: every member, the sender included, receives new-message
//     {room, text, userId}; a sender outside the room gets permission_denied.
//
// message and room-message are limited to 100 per minute per socket, 100 at once (the
// limit of the Node guide this example follows): over it, the event is refused with
// resource_exhausted (in the ack and as exception) and the socket stays connected; a
// socket refused more than 100 times in 10 seconds is disconnected.
//
// Namespace "/chat":
//   - message <object>: everyone in /chat receives new-message {...object, id: <sender
//     socket id>}, every string of the object (keys included, at any depth) with its HTML
//     removed; the ack is {status: "received"}.
//   - join-room <room>: the sender joins; the room's other members receive user-joined
//     with the sender's socket id; the ack is the sender's rooms.
//
// Namespace "/notifications":
//   - subscribe <channel> and unsubscribe <channel>; the ack is {status, channel}.
//   - POST /notify {channel, event, data} with "Authorization: Bearer <token>" emits event
//     with data (its strings with their HTML removed) to the channel's subscribers and
//     answers {delivered: <count>}, the number of subscribers on this node. The event name
//     has the form of a room name.
//
// GET /dev/token?user=<name> answers {token, userId, expiresIn} in development mode.
//
// GET /metrics answers the Prometheus metrics of the gateway (package metrics), the Go
// runtime and the process, in Prometheus' text format.
//
// Room and channel names, and the user names of development tokens, are strings (or, for
// rooms and channels, numbers) of 1 to 128 letters, digits, - _ . or :; anything else is
// refused with invalid_argument. The user id of a token from another issuer is relayed
// with its HTML removed. Every string a client sends and others receive is thus either of
// a safe form or sanitized (package pipes/sanitize, bluemonday's strict policy), so a page
// may insert it as HTML. Fields the server sets (userId, and id in /chat) replace what a
// client sends under the same name, so that no one can speak for someone else. Names are kept apart from socket ids, so joining a
// room never means receiving another socket's private messages.
//
// # Web page
//
// GET / serves a small page (web/index.html): pick a name, and it fetches a development
// token, connects, and shows messages, rooms and typing notices. It loads the
// socket.io-client browser bundle from /socket.io.min.js, which the server reads from
// CHAT_CLIENT_JS (default interop/node_modules/socket.io-client/dist/socket.io.min.js,
// there after `npm ci` in interop/; the repository does not ship it). Without the bundle
// the page says so. The page needs development mode for its tokens.
package main
