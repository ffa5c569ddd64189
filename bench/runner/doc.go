// Package runner drives a whole benchmark run and writes its report.
//
// For every repetition, every scenario, and every target in an order rotated per
// repetition (sockgate, socket.io, zishang, limit, then socket.io, zishang, limit,
// sockgate, ...), it starts a fresh server process pinned to one core (taskset), waits
// until it answers, runs the
// generator (sockbench gen, pinned to the other core) with a fresh port and a fresh block
// of 127.x.y.z source addresses (no TIME_WAIT left from an earlier run), collects the
// generator's JSON results, and stops the server. Results are appended to a JSON-lines
// file as they come, so [Report] can rebuild the Markdown report from them at any time.
//
// The report gives the machine, the versions, per metric the median and the min–max over
// repetitions for every target, the ratios sockgate/socket.io and sockgate/limit, the
// issue's targets with their measured ratios, and the check of the generator against the
// official socket.io-client.
//
// # Concurrency
//
// Run starts child processes and a goroutine per child to relay its output; all of them
// have ended when it returns.
package runner
