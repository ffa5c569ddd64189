package main

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/sockgate/sockgate/auth"
	"github.com/sockgate/sockgate/di"
)

// maxNotifyBody bounds the body of POST /notify.
const maxNotifyBody = 1 << 20

// RegisterRoutes adds the HTTP routes next to the gateway: POST /notify (bearer token
// required), in development mode GET /dev/token, both answering CORS requests from
// Settings.ClientURL, and the web page at /.
func RegisterRoutes(mux *di.Mux, s Settings, j *auth.JWT, n *Notifier, log *slog.Logger) {
	cors := corsFor(s.ClientURL)
	notify := &notifyHandler{notifier: n, log: log}
	mux.Handle("POST /notify", cors(j.HTTPMiddleware(notify)))
	mux.Handle("OPTIONS /notify", cors(http.HandlerFunc(noContent)))
	if s.Dev {
		tokens := &devTokenHandler{jwt: j}
		mux.Handle("GET /dev/token", cors(tokens))
		mux.Handle("OPTIONS /dev/token", cors(http.HandlerFunc(noContent)))
	}
	registerWeb(mux.ServeMux, s.ClientBundle)
}

// NotifyRequest is the body of POST /notify.
type NotifyRequest struct {
	Channel Name            `json:"channel"`
	Event   string          `json:"event"`
	Data    json.RawMessage `json:"data"`
}

// NotifyResponse answers POST /notify.
type NotifyResponse struct {
	// Delivered is how many subscribers of the channel (on this node) were sent the event.
	Delivered int `json:"delivered"`
}

type notifyHandler struct {
	notifier *Notifier
	log      *slog.Logger
}

func (h *notifyHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req NotifyRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxNotifyBody))
	if err := dec.Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody("invalid_argument", "the body must be a JSON object {channel, event, data}"))
		return
	}
	n, err := h.notifier.Notify(req.Channel, req.Event, req.Data)
	switch {
	case errors.Is(err, ErrBadNotification):
		writeJSON(w, http.StatusBadRequest, errorBody("invalid_argument", err.Error()))
		return
	case err != nil:
		h.log.Error("chat: notify", "channel", req.Channel, "event", req.Event, "err", err)
		writeJSON(w, http.StatusInternalServerError, errorBody("internal", "internal error"))
		return
	}
	by := ""
	if id, ok := auth.FromContext(r.Context()); ok {
		by = id.UserID
	}
	h.log.Info("chat: notification sent", "by", by, "channel", req.Channel, "event", req.Event, "delivered", n)
	writeJSON(w, http.StatusOK, NotifyResponse{Delivered: n})
}

// DevToken answers GET /dev/token.
type DevToken struct {
	Token     string `json:"token"`
	UserID    string `json:"userId"`
	ExpiresIn int64  `json:"expiresIn"` // seconds
}

type devTokenHandler struct {
	jwt *auth.JWT
}

func (h *devTokenHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	user := r.URL.Query().Get("user")
	if !checkName(user, maxNameLength) {
		writeJSON(w, http.StatusBadRequest, errorBody("invalid_argument", "user must have 1 to 128 letters, digits, '-', '_', '.' or ':'"))
		return
	}
	tok, err := h.jwt.Sign(user, DevTokenTTL)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, errorBody("internal", "internal error"))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, DevToken{Token: tok, UserID: user, ExpiresIn: int64(DevTokenTTL.Seconds())})
}

// corsFor lets the browser at origin call a route with credentials. Without an origin,
// only same-origin pages can.
func corsFor(origin string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Add("Vary", "Origin")
			if origin != "" && r.Header.Get("Origin") == origin {
				h.Set("Access-Control-Allow-Origin", origin)
				h.Set("Access-Control-Allow-Credentials", "true")
				if r.Method == http.MethodOptions {
					h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
					h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
					h.Set("Access-Control-Max-Age", "600")
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

func noContent(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }

type httpError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func errorBody(code, msg string) httpError { return httpError{Code: code, Message: msg} }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
