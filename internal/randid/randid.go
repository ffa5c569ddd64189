// Package randid makes the random ids of the server: Engine.IO session ids, socket ids and
// connection state recovery session ids, all in the form Node socket.io uses.
package randid

import (
	"crypto/rand"
	"encoding/base64"
)

// Len is the length of an id.
const Len = 20

// New returns a 20-character URL-safe random id (15 random bytes, base64url), the length
// Node socket.io uses and the Redis sharded adapter relies on.
func New() string {
	var b [15]byte
	// crypto/rand.Read never fails on supported platforms (it crashes the program
	// instead), so there is no error to handle.
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
