// Package wire joins the two codecs: it turns a Socket.IO packet into the Engine.IO messages
// that carry it, so that the server, the adapters and the client encode the same way.
package wire
