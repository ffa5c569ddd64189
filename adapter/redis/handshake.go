package redis

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sockgate/sockgate/adapter"
)

// wireSocket is a socket in a fetch-sockets response, as Node socket.io writes it.
type wireSocket struct {
	ID        string          `json:"id"`
	Handshake wireHandshake   `json:"handshake"`
	Rooms     []string        `json:"rooms"`
	Data      json.RawMessage `json:"data"`
}

// wireHandshake is Node's socket.handshake: headers with lower-case names, time as
// Date.toString(), issued in milliseconds, query as an object.
type wireHandshake struct {
	Headers map[string]any  `json:"headers"`
	Time    string          `json:"time"`
	Address string          `json:"address"`
	XDomain bool            `json:"xdomain"`
	Secure  bool            `json:"secure"`
	Issued  int64           `json:"issued"`
	URL     string          `json:"url"`
	Query   map[string]any  `json:"query"`
	Auth    json.RawMessage `json:"auth"`
}

// nodeTimeLayout is JavaScript's Date.prototype.toString for UTC.
const nodeTimeLayout = "Mon Jan 02 2006 15:04:05 GMT-0700"

func toWireSocket(info adapter.SocketInfo) wireSocket {
	h := info.Handshake
	ws := wireSocket{
		ID:    info.ID,
		Rooms: info.Rooms,
		Data:  info.Data,
		Handshake: wireHandshake{
			Headers: make(map[string]any, len(h.Headers)),
			Address: h.Address,
			XDomain: h.XDomain,
			Secure:  h.Secure,
			URL:     h.URL,
			Query:   make(map[string]any, len(h.Query)),
			Auth:    h.Auth,
		},
	}
	if ws.Rooms == nil {
		ws.Rooms = []string{}
	}
	if len(ws.Data) == 0 {
		ws.Data = json.RawMessage("null")
	}
	if len(ws.Handshake.Auth) == 0 {
		ws.Handshake.Auth = json.RawMessage("{}")
	}
	if !h.Time.IsZero() {
		t := h.Time.UTC()
		ws.Handshake.Time = t.Format(nodeTimeLayout) + " (Coordinated Universal Time)"
		ws.Handshake.Issued = t.UnixMilli()
	}
	for k, vs := range h.Headers {
		k = strings.ToLower(k)
		switch {
		case len(vs) == 1:
			ws.Handshake.Headers[k] = vs[0]
		case k == "set-cookie":
			ws.Handshake.Headers[k] = vs
		case len(vs) > 1:
			ws.Handshake.Headers[k] = strings.Join(vs, ", ")
		}
	}
	for k, vs := range h.Query {
		if len(vs) == 1 {
			ws.Handshake.Query[k] = vs[0]
		} else if len(vs) > 1 {
			ws.Handshake.Query[k] = vs
		}
	}
	return ws
}

func (ws wireSocket) info() adapter.SocketInfo {
	wh := ws.Handshake
	h := adapter.Handshake{
		Headers: make(http.Header, len(wh.Headers)),
		Address: wh.Address,
		XDomain: wh.XDomain,
		Secure:  wh.Secure,
		URL:     wh.URL,
		Query:   make(url.Values, len(wh.Query)),
		Auth:    wh.Auth,
	}
	if wh.Issued > 0 {
		h.Time = time.UnixMilli(wh.Issued)
	}
	for k, v := range wh.Headers {
		h.Headers[http.CanonicalHeaderKey(k)] = stringList(v)
	}
	for k, v := range wh.Query {
		h.Query[k] = stringList(v)
	}
	rooms := ws.Rooms
	if rooms == nil {
		rooms = []string{}
	}
	return adapter.SocketInfo{ID: ws.ID, Handshake: h, Rooms: rooms, Data: ws.Data}
}

func stringList(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// roomList reads a JSON array of room names; numbers (Node allows numeric rooms) are
// kept in their decimal form.
func roomList(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return nil
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		var s string
		if json.Unmarshal(it, &s) == nil {
			out = append(out, s)
			continue
		}
		var n json.Number
		if json.Unmarshal(it, &n) == nil {
			out = append(out, n.String())
		}
	}
	return out
}
