// Command conformance serves the official protocol test suites on
// localhost:3000, configured as the suites expect (ping interval 300 ms,
// ping timeout 200 ms, max payload 1e6, any origin).
//
//	go run ./examples/conformance -protocol=engine.io   # Engine.IO v4 suite, path /engine.io/
//	go run ./examples/conformance -protocol=socket.io   # Socket.IO v5 suite, path /socket.io/
//
// In engine.io mode the server echoes every message back on its session,
// text as text and binary as binary, with no Socket.IO layer.
package main
