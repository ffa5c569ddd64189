package decorators

import (
	"reflect"
	"regexp"
	"strings"
	"unicode"
)

// Gateway marks a struct as a gateway when embedded in it. Its struct tag carries the
// gateway's settings; see ParseGatewayTag for the keys.
type Gateway struct{}

// Subscribe marks an event handler when used as the type of a blank field; its struct tag
// names the event and the handler's settings. See ParseSubscribeTag for the keys.
type Subscribe struct{}

// GatewayTag is the parsed tag of a Gateway marker.
type GatewayTag struct {
	// Namespace is the namespace name, "/" when the tag has neither namespace nor pattern.
	// When NamespacePattern is set it is the source of a Go regular expression instead.
	Namespace        string
	NamespacePattern bool
	// Use names the guards, pipes, interceptors and filters applied to every handler of the
	// gateway, in order. Resolving them is the runtime's business.
	Use []string
	// Rate limits every event of the gateway that has no rate of its own, per socket and
	// event; nil when the tag has none.
	Rate *Rate
}

// SubscribeTag is the parsed tag of a Subscribe field.
type SubscribeTag struct {
	Event string
	// Handler is the method name from the handler key, or "" when the tag has none: the
	// method is then MethodName(Event).
	Handler string
	// Use names pieces applied to this handler, after the gateway's.
	Use []string
	// Rate limits how often one socket may send the event; nil when unlimited.
	Rate *Rate
}

// ParseGatewayTag parses the tag of a Gateway marker. Keys:
//
//   - namespace:"/chat" — the namespace name. It starts with "/" and holds no comma (the
//     wire protocol ends a namespace at the first comma) and no control character.
//     Without namespace and pattern, the gateway serves the main namespace "/".
//   - pattern:"^/dyn-\\d+$" — instead of namespace: a Go regular expression (package
//     regexp syntax). Every namespace name it matches is created when a client first
//     connects to it. The expression is not anchored for you: write ^ and $ to match whole
//     names. Backslashes are doubled because tag values are Go string literals.
//   - use:"jwt,audit" — see SubscribeTag.Use.
//   - rate:"100/m,burst=20" — the limit of each of the gateway's events that has no rate:
//     key of its own, per socket and event; see ParseRate.
//
// Unknown keys, duplicate keys, malformed syntax and bad values are errors (*TagError)
// naming the key and the value.
func ParseGatewayTag(tag reflect.StructTag) (GatewayTag, error) {
	pairs, err := scanKnown(tag, "namespace", "pattern", "use", "rate")
	if err != nil {
		return GatewayTag{}, err
	}
	gt := GatewayTag{Namespace: "/"}
	sawName := false
	for _, p := range pairs {
		switch p.key {
		case "namespace":
			if err := checkNamespace(p.value); err != nil {
				return GatewayTag{}, err
			}
			gt.Namespace, sawName = p.value, true
		case "pattern":
			if p.value == "" {
				return GatewayTag{}, invalid(p, "an empty pattern")
			}
			if _, err := regexp.Compile(p.value); err != nil {
				return GatewayTag{}, invalid(p, err.Error())
			}
			gt.Namespace, gt.NamespacePattern = p.value, true
		case "use":
			if gt.Use, err = parseUse(p); err != nil {
				return GatewayTag{}, err
			}
		case "rate":
			r, err := ParseRate(p.value)
			if err != nil {
				return GatewayTag{}, err
			}
			gt.Rate = &r
		}
	}
	if sawName && gt.NamespacePattern {
		return GatewayTag{}, &TagError{Key: "pattern", Value: gt.Namespace, Err: ErrInvalidValue,
			Detail: "a gateway has either a namespace or a pattern, not both"}
	}
	return gt, nil
}

// ParseSubscribeTag parses the tag of a Subscribe field. Keys:
//
//   - ws:"join-room" — the event name (required). It must not be one of the names
//     socket.io reserves (see IsReserved).
//   - handler:"Join" — the method handling the event, an exported Go identifier. Without
//     it the method is MethodName(event), "OnJoinRoom" here.
//   - use:"jwt,audit" — comma-separated names of guards, pipes, interceptors and filters,
//     applied in order; spaces around names are ignored, empty and repeated names are
//     errors.
//   - rate:"20/s" or rate:"100/m,burst=20" — at most that many events per interval from
//     one socket, as a token bucket; see ParseRate. It replaces the gateway's rate.
//
// Unknown keys, duplicate keys, malformed syntax and bad values are errors (*TagError)
// naming the key and the value.
func ParseSubscribeTag(tag reflect.StructTag) (SubscribeTag, error) {
	pairs, err := scanKnown(tag, "ws", "handler", "use", "rate")
	if err != nil {
		return SubscribeTag{}, err
	}
	var st SubscribeTag
	sawEvent := false
	for _, p := range pairs {
		switch p.key {
		case "ws":
			if p.value == "" {
				return SubscribeTag{}, invalid(p, "an empty event name")
			}
			if IsReserved(p.value) {
				return SubscribeTag{}, &TagError{Key: p.key, Value: p.value, Err: ErrReservedEvent,
					Detail: "socket.io reserves connect, connect_error, disconnect, disconnecting, newListener and removeListener; use the lifecycle hooks instead"}
			}
			st.Event, sawEvent = p.value, true
		case "handler":
			if !isExportedIdent(p.value) {
				return SubscribeTag{}, invalid(p, "not an exported Go identifier")
			}
			st.Handler = p.value
		case "use":
			if st.Use, err = parseUse(p); err != nil {
				return SubscribeTag{}, err
			}
		case "rate":
			r, err := ParseRate(p.value)
			if err != nil {
				return SubscribeTag{}, err
			}
			st.Rate = &r
		}
	}
	if !sawEvent {
		return SubscribeTag{}, &TagError{Key: "ws", Err: ErrMissingKey, Detail: `name the event, as in ws:"message"`}
	}
	return st, nil
}

func invalid(p tagPair, detail string) error {
	return &TagError{Key: p.key, Value: p.value, Err: ErrInvalidValue, Detail: detail}
}

func checkNamespace(v string) error {
	p := tagPair{"namespace", v}
	switch {
	case !strings.HasPrefix(v, "/"):
		return invalid(p, `a namespace starts with "/"`)
	case strings.Contains(v, ","):
		return invalid(p, "a namespace cannot contain a comma")
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		return invalid(p, "a namespace cannot contain control characters")
	}
	return nil
}

func parseUse(p tagPair) ([]string, error) {
	parts := strings.Split(p.value, ",")
	names := make([]string, 0, len(parts))
	for _, part := range parts {
		name := strings.TrimSpace(part)
		switch {
		case name == "":
			return nil, invalid(p, "an empty name")
		case strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
			return nil, invalid(p, "the name "+name+" contains a space")
		}
		for _, prev := range names {
			if prev == name {
				return nil, invalid(p, "the name "+name+" is listed twice")
			}
		}
		names = append(names, name)
	}
	return names, nil
}

func isExportedIdent(s string) bool {
	for i, r := range s {
		switch {
		case i == 0 && !unicode.IsUpper(r):
			return false
		case r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r):
			return false
		}
	}
	return s != ""
}

// MethodName returns the default handler method of an event: "On" followed by the event
// in PascalCase. Every run of characters other than letters and digits separates words,
// and each word gets an upper-case first letter, the rest being kept as written:
// "join-room" -> "OnJoinRoom", "chat:message" -> "OnChatMessage", "message" -> "OnMessage",
// "user_joinedRoom" -> "OnUserJoinedRoom".
func MethodName(event string) string {
	var b strings.Builder
	b.Grow(2 + len(event))
	b.WriteString("On")
	wordStart := true
	for _, r := range event {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			wordStart = true
			continue
		}
		if wordStart {
			r = unicode.ToUpper(r)
			wordStart = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// IsReserved reports whether socket.io reserves event for itself: connect, connect_error,
// disconnect, disconnecting, newListener and removeListener. Such names cannot be
// subscribed to; the lifecycle hooks cover them.
//
// This is the one list of reserved names: the wire codec, the server and the client use
// it too.
func IsReserved(event string) bool {
	switch event {
	case "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener":
		return true
	}
	return false
}
