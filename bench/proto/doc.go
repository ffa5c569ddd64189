// Package proto builds and scans the few Engine.IO v4 / Socket.IO v5 text frames the
// benchmark speaks, by slicing bytes rather than decoding JSON, so that neither the load
// generator nor the limit server spends its core on parsing:
//
//	0{"sid":...}                 open (parsed with encoding/json: once per session)
//	40  40{"sid":"..."}          connect and its reply
//	2 3  2probe 3probe  5  6     ping, pong, probe, upgrade, noop
//	42<id>["echo",P]             event with ack; answered by 43<id>[P]
//	42["bcast","<room>",P]       broadcast request; delivered as 42["m",P]
//
// P is the payload {"t":<unix-ns>,"p":"xxx..."}: t is the wall-clock send time (scheduled
// time for open-loop steps), which is all a receiver needs from a frame.
//
// The scanners take untrusted input and never panic; they report false for anything that
// is not the expected frame.
//
// # Concurrency
//
// Every function is safe for concurrent use; the package starts no goroutines.
package proto
