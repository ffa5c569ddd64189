package decorators

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
)

// Errors matched with errors.Is by a *TagError.
var (
	// ErrSyntax: the tag is not a sequence of space-separated key:"value" pairs.
	ErrSyntax = errors.New("bad struct tag syntax")
	// ErrUnknownKey: a key this package does not define (often a typo).
	ErrUnknownKey = errors.New("unknown tag key")
	// ErrDuplicateKey: the same key twice in one tag.
	ErrDuplicateKey = errors.New("duplicate tag key")
	// ErrMissingKey: a required key is absent.
	ErrMissingKey = errors.New("missing tag key")
	// ErrInvalidValue: a value that does not follow its key's grammar.
	ErrInvalidValue = errors.New("invalid tag value")
	// ErrReservedEvent: an event name that socket.io keeps for itself.
	ErrReservedEvent = errors.New("reserved event name")
)

// TagError is a problem with one struct tag. It names the key and the value at fault.
type TagError struct {
	Key    string // the key at fault; empty for syntax errors that precede any key
	Value  string // the key's (unquoted) value, when it has one
	Offset int    // for syntax errors, the byte offset in the tag
	Err    error  // one of the Err* variables of this package
	Detail string // what is wrong, for people
}

func (e *TagError) Error() string {
	var b strings.Builder
	b.WriteString("decorators: ")
	switch {
	case e.Err == ErrSyntax:
		b.WriteString("bad struct tag syntax at byte ")
		b.WriteString(strconv.Itoa(e.Offset))
		if e.Key != "" {
			b.WriteString(" (key ")
			b.WriteString(e.Key)
			b.WriteString(")")
		}
	case e.Err == ErrMissingKey:
		b.WriteString("missing tag key ")
		b.WriteString(e.Key)
	default:
		b.WriteString(e.Key)
		b.WriteString(":")
		b.WriteString(strconv.Quote(e.Value))
		if e.Err != nil {
			b.WriteString(": ")
			b.WriteString(e.Err.Error())
		}
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

// Unwrap returns the Err* kind of the problem.
func (e *TagError) Unwrap() error { return e.Err }

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
			return nil, &TagError{Offset: i, Key: pairs[len(pairs)-1].key, Err: ErrSyntax,
				Detail: "pairs must be separated by a space"}
		}
		start := i
		for i < len(s) && s[i] > ' ' && s[i] != ':' && s[i] != '"' && s[i] != 0x7f {
			i++
		}
		if i == start {
			return nil, &TagError{Offset: i, Err: ErrSyntax, Detail: "expected a key"}
		}
		key := s[start:i]
		if i == len(s) || s[i] != ':' {
			return nil, &TagError{Offset: i, Key: key, Err: ErrSyntax, Detail: "expected ':' after the key"}
		}
		i++
		if i == len(s) || s[i] != '"' {
			return nil, &TagError{Offset: i, Key: key, Err: ErrSyntax, Detail: "the value must be in double quotes"}
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
			return nil, &TagError{Offset: qstart, Key: key, Err: ErrSyntax, Detail: "unterminated value"}
		}
		i++
		value, err := strconv.Unquote(s[qstart:i])
		if err != nil {
			return nil, &TagError{Offset: qstart, Key: key, Err: ErrSyntax,
				Detail: "the value is not a valid Go string literal (a backslash must be written \\\\)"}
		}
		for _, p := range pairs {
			if p.key == key {
				return nil, &TagError{Key: key, Value: value, Err: ErrDuplicateKey, Detail: "the key appears twice"}
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
			return nil, &TagError{Key: p.key, Value: p.value, Err: ErrUnknownKey,
				Detail: "known keys are " + strings.Join(known, ", ")}
		}
	}
	return pairs, nil
}
