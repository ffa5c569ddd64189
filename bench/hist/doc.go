// Package hist is a latency histogram for the load generator: log-linear buckets in the
// manner of HdrHistogram, about 1.6 % relative precision from 1 ns to several minutes,
// with lock-free recording so that thousands of connection goroutines can share one.
//
// # Concurrency
//
// Record and the read methods are safe for concurrent use; a reading taken while values
// are being recorded is a consistent-enough snapshot for a report (each bucket is read
// atomically, the set of buckets is not). The package starts no goroutines.
package hist
