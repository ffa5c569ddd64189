// Package redis joins sockgate servers, and Node socket.io servers, in one cluster
// through Redis, speaking the wire protocols of Node's @socket.io/redis-adapter 8.3
// (createAdapter and createShardedAdapter) and @socket.io/redis-streams-adapter 0.3.
//
// [New] returns a [Classic]: one publishing client and one subscribed connection for the
// whole server, shared by its namespaces, as a Node server shares its pub and sub
// clients. Its Adapter method is the gateway's adapter factory:
//
//	cluster, err := redis.New(redis.Config{URL: "redis://localhost:6379"})
//	if err != nil { ... }
//	defer cluster.Close()
//	srv, err := gateway.NewServer(cfg, gateway.WithAdapter(cluster.Adapter))
//
// [NewSharded] returns a [Sharded], the variant of Node's createShardedAdapter: the
// cluster protocol of socket.io-adapter's ClusterAdapter over sharded pub/sub (SSUBSCRIBE,
// SPUBLISH, PUBSUB SHARDNUMSUB; Redis 7), with the static, dynamic and dynamic-private
// subscription modes. It runs on a plain Redis server or on Redis Cluster (give it a
// *goredis.ClusterClient); on Redis Cluster each channel has its own subscribed connection,
// on the master of its slot.
//
// [NewStreams] returns a [Streams], the protocol of Node's @socket.io/redis-streams-adapter
// 0.3: broadcasts, joins, leaves and disconnects are entries of a Redis Stream (XADD with
// MAXLEN ~, read by every node with XREAD), requests and responses go over pub/sub, and
// the server count is PUBSUB NUMSUB of "<prefix>#<nsp>#". Because the stream keeps the
// packets, its adapters implement adapter.SessionStore: with connection state recovery on,
// each recoverable packet carries its stream entry id as offset, sessions are stored as
// Node stores them ("sio:session:<pid>", base64 msgpack, expiring), and a client may
// recover on any node, Go or Node.
//
// # Protocol of the classic adapter
//
// Broadcasts are published as the msgpack array [uid, packet, opts] on
// "<key>#<nsp>#" (or "<key>#<nsp>#<room>#" for exactly one room), every node reading them
// with PSUBSCRIBE "<key>#<nsp>#*". Requests (fetch sockets, all rooms, remote join, leave
// and disconnect, server-side emit, broadcast with acks) go to "<key>-request#<nsp>#" and
// responses to "<key>-response#<nsp>#" or the requester's own
// "<key>-response#<nsp>#<uid>#". Messages are JSON or msgpack, told apart by their first
// byte. The number of nodes is PUBSUB NUMSUB of the request channel, so each server holds
// exactly one subscribed connection; do not subscribe to that channel from anything else.
// Event arguments keep their binary values (msgpack bin) and Node Dates arrive as ISO
// strings. Timeouts and their error messages are those of Node's adapter ([ErrTimeout]).
//
// Join, leave and disconnect are applied on the calling node at once and published for
// the others. A broadcast with acks is registered before it is published, and other
// nodes number it with their own namespace's ack ids.
//
// # Protocol of the sharded adapter
//
// Messages {uid, nsp, type, data} (JSON, or msgpack when they carry binary values) go to
// "<prefix>#<nsp>#"; responses to the requester's "<prefix>#<nsp>#<uid>#"; in the dynamic
// modes a broadcast without acks to exactly one room goes to "<prefix>#<nsp>#<room>#",
// which the nodes with a local member of that room subscribe to (in dynamic mode, not for
// socket ids, which Node recognises by their 20 characters). The sender applies joins,
// leaves and disconnects locally and the others ignore their own messages. On Redis
// Cluster a room's channel may live on another master than the namespace's and is read
// by its own connection, so nothing orders a broadcast to one room with the messages on
// the namespace's channel, as with Node's adapter.
//
// # When Redis goes away
//
// Local delivery goes on. Cluster operations fail at once with an error wrapping
// [ErrUnavailable] (a broadcast still reaches the local sockets, and joins, leaves and
// disconnects are still applied on this node). The subscribed
// connection is re-established and every channel subscribed again as soon as Redis
// answers; messages published meanwhile are lost, as with Node's adapter.
//
// # Metrics
//
// Each request a node sends to the others is reported to its namespace
// (adapter.Namespace.ObserveRequest, which package metrics counts) with one of the Kind
// constants: those awaiting responses (fetch_sockets, all_rooms, server_side_emit) when
// the last response arrives or the wait ends, the others (remote_join, remote_leave,
// remote_disconnect, broadcast_ack) once published. Timeouts are errors with a
// Timeout() bool method.
//
// # Concurrency
//
// A Classic starts one goroutine reading the subscribed connection (a Sharded one per
// subscribed connection, and one making the room subscriptions in order; a Streams one
// per stream it reads and one for its subscriber), and one short-lived goroutine per
// request that must be answered (fetch sockets, server-side emit with its handlers,
// broadcast with acks); Close waits for all of them. Broadcasts, joins, leaves
// and disconnects from one node are applied in the order Redis delivers them. Every
// method is safe for concurrent use.
package redis
