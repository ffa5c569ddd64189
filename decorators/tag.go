package decorators

import (
	"errors"
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
