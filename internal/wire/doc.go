// Package wire joins the two codecs: it turns a Socket.IO packet into the Engine.IO messages
// that carry it, so that the server's own packets and the adapters' broadcasts are framed
// the same way.
package wire
