// Package interoptest drives the official socket.io-client (npm, the version pinned in
// interop/package-lock.json) from Go tests, so that any package can check that real
// Socket.IO clients work with sockgate.
//
// [Start] launches interop/js/driver.mjs, a Node process holding any number of client
// managers and sockets. [Driver.Connect] opens a socket; its methods emit, emit with
// acknowledgements, answer the server's acknowledgements, and wait for what the client's
// listeners receive:
//
//	d := interoptest.Start(t)
//	s := d.Connect(t, "http://"+addr, interoptest.Options{Namespace: "/chat"})
//	s.WaitConnect(5 * time.Second)
//	s.Emit("message", "hello", interoptest.Bin{1, 2, 3})
//	r := s.WaitEvent("message-back", 5*time.Second)
//
// Everything a client's listeners see is a [Record]: socket events (connect,
// connect_error, disconnect and every server event), manager events (reconnect_attempt,
// reconnect, ...) and Engine.IO events (upgrade, and with Options.Trace every packet).
// A wait takes the first matching record no earlier wait has taken, so waits can be made
// in any order; a failed wait names what arrived instead.
//
// Binary values cross to and from Node as {"$bin":"<base64>"}; use [Bin] for them.
//
// # Running
//
// The tests need node and `npm ci` in interop/. With SOCKGATE_INTEROP unset, Start skips
// the test; set to 1 (as `make test` does), a missing part fails it. The interop folder
// is found by walking up from the test's working directory to the module's go.mod.
//
// # Concurrency
//
// A Driver starts one goroutine, which reads the process's output until it exits; the
// process is stopped (stdin closed, then killed by its pid if need be) in the Cleanup of
// the test that started it, and the goroutine ends with it. Every method is safe for
// concurrent use, but methods bound to a test (those of Socket and Manager) may call
// FailNow and so belong on that test's goroutine.
package interoptest
