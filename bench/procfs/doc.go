// Package procfs reads the few Linux /proc figures the benchmark reports: a process's CPU
// time split into user and system (/proc/<pid>/stat), its resident memory
// (/proc/<pid>/smaps_rollup), the machine's CPU counters including steal (/proc/stat),
// kernel slab memory (/proc/meminfo) and TCP socket memory (/proc/net/sockstat).
//
// Each reader has a parser of the text alone, so that it can be tested without /proc.
//
// # Concurrency
//
// Every function is safe for concurrent use; the package starts no goroutines.
package procfs
