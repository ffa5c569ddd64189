package main

import (
	_ "embed"
	"net/http"
	"os"
)

// DefaultClientBundle is where `npm ci` in interop/ puts the socket.io-client browser
// bundle, relative to the repository root (where `make run` runs).
const DefaultClientBundle = "interop/node_modules/socket.io-client/dist/socket.io.min.js"

//go:embed web/index.html
var indexHTML []byte

// registerWeb serves the page at / and the client bundle it loads, when the bundle is on
// disk: it comes from npm, not from this repository.
func registerWeb(mux *http.ServeMux, bundle string) {
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:; style-src 'unsafe-inline'")
		h.Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write(indexHTML)
	})
	mux.HandleFunc("GET /socket.io.min.js", func(w http.ResponseWriter, r *http.Request) {
		if bundle == "" {
			http.Error(w, "the socket.io client bundle is not configured (CHAT_CLIENT_JS)", http.StatusNotFound)
			return
		}
		if _, err := os.Stat(bundle); err != nil {
			http.Error(w, "the socket.io client bundle is missing: run `npm ci` in interop/ or set CHAT_CLIENT_JS", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		http.ServeFile(w, r, bundle)
	})
}
