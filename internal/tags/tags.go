// Package tags parses the struct tags of the decorators markers: the one parser that the
// gateway package (by reflection, at registration) and the sockgate code generator (from
// source) share, so that a tag means the same thing to both. Its errors are
// *decorators.TagError values, matched with the Err* variables of package decorators.
package tags

import (
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/sockgate/sockgate/decorators"
)

// Gateway is the parsed tag of a Gateway marker.
type Gateway struct {
	// Namespace is the namespace name, "/" when the tag has neither namespace nor pattern.
	// When NamespacePattern is set it is the source of a Go regular expression instead.
	Namespace        string
	NamespacePattern bool
	// Use names the guards, pipes, interceptors and filters applied to every handler of the
	// gateway, in order. Resolving them is the runtime's business.
	Use []string
	// Rate limits every event of the gateway that has no rate of its own, per socket and
	// event; nil when the tag has none.
	Rate *decorators.Rate
}

// Subscribe is the parsed tag of a Subscribe field.
type Subscribe struct {
	Event string
	// Handler is the method name from the handler key, or "" when the tag has none: the
	// method is then MethodName(Event).
	Handler string
	// Use names pieces applied to this handler, after the gateway's.
	Use []string
	// Rate limits how often one socket may send the event; nil when unlimited.
	Rate *decorators.Rate
}

// ParseGateway parses the tag of a Gateway marker. Keys:
//
//   - namespace:"/chat" — the namespace name. It starts with "/" and holds no comma (the
//     wire protocol ends a namespace at the first comma) and no control character.
//     Without namespace and pattern, the gateway serves the main namespace "/".
//   - pattern:"^/dyn-\\d+$" — instead of namespace: a Go regular expression (package
//     regexp syntax). Every namespace name it matches is created when a client first
//     connects to it. The expression is not anchored for you: write ^ and $ to match whole
//     names. Backslashes are doubled because tag values are Go string literals.
//   - use:"jwt,audit" — as for Subscribe.
//   - rate:"100/m,burst=20" — the limit of each of the gateway's events that has no rate:
//     key of its own, per socket and event; see decorators.ParseRate.
//
// Unknown keys, duplicate keys, malformed syntax and bad values are errors (*decorators.TagError)
// naming the key and the value.
func ParseGateway(tag reflect.StructTag) (Gateway, error) {
	pairs, err := scanKnown(tag, "namespace", "pattern", "use", "rate")
	if err != nil {
		return Gateway{}, err
	}
	gt := Gateway{Namespace: "/"}
	sawName := false
	for _, p := range pairs {
		switch p.key {
		case "namespace":
			if err := checkNamespace(p.value); err != nil {
				return Gateway{}, err
			}
			gt.Namespace, sawName = p.value, true
		case "pattern":
			if p.value == "" {
				return Gateway{}, invalid(p, "an empty pattern")
			}
			if _, err := regexp.Compile(p.value); err != nil {
				return Gateway{}, invalid(p, err.Error())
			}
			gt.Namespace, gt.NamespacePattern = p.value, true
		case "use":
			if gt.Use, err = parseUse(p); err != nil {
				return Gateway{}, err
			}
		case "rate":
			r, err := decorators.ParseRate(p.value)
			if err != nil {
				return Gateway{}, err
			}
			gt.Rate = &r
		}
	}
	if sawName && gt.NamespacePattern {
		return Gateway{}, &decorators.TagError{Key: "pattern", Value: gt.Namespace, Err: decorators.ErrInvalidValue,
			Detail: "a gateway has either a namespace or a pattern, not both"}
	}
	return gt, nil
}

// ParseSubscribe parses the tag of a Subscribe field. Keys:
//
//   - ws:"join-room" — the event name (required). It must not be one of the names
//     socket.io reserves (see decorators.IsReserved).
//   - handler:"Join" — the method handling the event, an exported Go identifier. Without
//     it the method is MethodName(event), "OnJoinRoom" here.
//   - use:"jwt,audit" — comma-separated names of guards, pipes, interceptors and filters,
//     applied in order; spaces around names are ignored, empty and repeated names are
//     errors.
//   - rate:"20/s" or rate:"100/m,burst=20" — at most that many events per interval from
//     one socket, as a token bucket; see decorators.ParseRate. It replaces the gateway's rate.
//
// Unknown keys, duplicate keys, malformed syntax and bad values are errors (*decorators.TagError)
// naming the key and the value.
func ParseSubscribe(tag reflect.StructTag) (Subscribe, error) {
	pairs, err := scanKnown(tag, "ws", "handler", "use", "rate")
	if err != nil {
		return Subscribe{}, err
	}
	var st Subscribe
	sawEvent := false
	for _, p := range pairs {
		switch p.key {
		case "ws":
			if p.value == "" {
				return Subscribe{}, invalid(p, "an empty event name")
			}
			if decorators.IsReserved(p.value) {
				return Subscribe{}, &decorators.TagError{Key: p.key, Value: p.value, Err: decorators.ErrReservedEvent,
					Detail: "socket.io reserves connect, connect_error, disconnect, disconnecting, newListener and removeListener; use the lifecycle hooks instead"}
			}
			st.Event, sawEvent = p.value, true
		case "handler":
			if !isExportedIdent(p.value) {
				return Subscribe{}, invalid(p, "not an exported Go identifier")
			}
			st.Handler = p.value
		case "use":
			if st.Use, err = parseUse(p); err != nil {
				return Subscribe{}, err
			}
		case "rate":
			r, err := decorators.ParseRate(p.value)
			if err != nil {
				return Subscribe{}, err
			}
			st.Rate = &r
		}
	}
	if !sawEvent {
		return Subscribe{}, &decorators.TagError{Key: "ws", Err: decorators.ErrMissingKey, Detail: `name the event, as in ws:"message"`}
	}
	return st, nil
}

func invalid(p tagPair, detail string) error {
	return &decorators.TagError{Key: p.key, Value: p.value, Err: decorators.ErrInvalidValue, Detail: detail}
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

// Emits is the parsed tag of an Emits field.
type Emits struct {
	// Event is the event name.
	Event string
}

// ParseEmits parses the tag of an Emits field. Keys:
//
//   - ws:"new-message" — the event name (required). It must not be one of the names
//     socket.io reserves (see decorators.IsReserved).
//
// Unknown keys, duplicate keys, malformed syntax and bad values are errors (*decorators.TagError)
// naming the key and the value.
func ParseEmits(tag reflect.StructTag) (Emits, error) {
	pairs, err := scanKnown(tag, "ws")
	if err != nil {
		return Emits{}, err
	}
	var et Emits
	for _, p := range pairs {
		if p.value == "" {
			return Emits{}, invalid(p, "an empty event name")
		}
		if decorators.IsReserved(p.value) {
			return Emits{}, &decorators.TagError{Key: p.key, Value: p.value, Err: decorators.ErrReservedEvent,
				Detail: "socket.io reserves connect, connect_error, disconnect, disconnecting, newListener and removeListener"}
		}
		et.Event = p.value
	}
	if et.Event == "" {
		return Emits{}, &decorators.TagError{Key: "ws", Err: decorators.ErrMissingKey, Detail: `name the event, as in ws:"new-message"`}
	}
	return et, nil
}

// tagPair is one key:"value" pair, value unquoted.
type tagPair struct {
	key, value string
}

// scanTag splits a struct tag written in Go's conventional syntax: key:"value" pairs
// separated by spaces, each key a non-empty run of non-control characters other than space,
// quote and colon, each value a Go string literal in double quotes. Unlike
// reflect.StructTag.Lookup, which skips what it cannot read, it reports malformed syntax
// and duplicate keys, so that no setting is silently ignored.
func scanTag(tag reflect.StructTag) ([]tagPair, error) {
	s := string(tag)
	var pairs []tagPair
	i := 0
	for {
		sep := i
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i == len(s) {
			return pairs, nil
		}
		if len(pairs) > 0 && i == sep {
			return nil, &decorators.TagError{Offset: i, Key: pairs[len(pairs)-1].key, Err: decorators.ErrSyntax,
				Detail: "pairs must be separated by a space"}
		}
		start := i
		for i < len(s) && s[i] > ' ' && s[i] != ':' && s[i] != '"' && s[i] != 0x7f {
			i++
		}
		if i == start {
			return nil, &decorators.TagError{Offset: i, Err: decorators.ErrSyntax, Detail: "expected a key"}
		}
		key := s[start:i]
		if i == len(s) || s[i] != ':' {
			return nil, &decorators.TagError{Offset: i, Key: key, Err: decorators.ErrSyntax, Detail: "expected ':' after the key"}
		}
		i++
		if i == len(s) || s[i] != '"' {
			return nil, &decorators.TagError{Offset: i, Key: key, Err: decorators.ErrSyntax, Detail: "the value must be in double quotes"}
		}
		qstart := i
		i++
		for i < len(s) && s[i] != '"' {
			if s[i] == '\\' {
				i++
			}
			i++
		}
		if i >= len(s) {
			return nil, &decorators.TagError{Offset: qstart, Key: key, Err: decorators.ErrSyntax, Detail: "unterminated value"}
		}
		i++
		value, err := strconv.Unquote(s[qstart:i])
		if err != nil {
			return nil, &decorators.TagError{Offset: qstart, Key: key, Err: decorators.ErrSyntax,
				Detail: "the value is not a valid Go string literal (a backslash must be written \\\\)"}
		}
		for _, p := range pairs {
			if p.key == key {
				return nil, &decorators.TagError{Key: key, Value: value, Err: decorators.ErrDuplicateKey, Detail: "the key appears twice"}
			}
		}
		pairs = append(pairs, tagPair{key, value})
	}
}

// scanKnown scans tag and checks every key against known.
func scanKnown(tag reflect.StructTag, known ...string) ([]tagPair, error) {
	pairs, err := scanTag(tag)
	if err != nil {
		return nil, err
	}
	for _, p := range pairs {
		found := false
		for _, k := range known {
			if p.key == k {
				found = true
				break
			}
		}
		if !found {
			return nil, &decorators.TagError{Key: p.key, Value: p.value, Err: decorators.ErrUnknownKey,
				Detail: "known keys are " + strings.Join(known, ", ")}
		}
	}
	return pairs, nil
}
