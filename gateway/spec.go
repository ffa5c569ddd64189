package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"unicode/utf8"

	"github.com/sockgate/sockgate/decorators"
)

// HandlerSpec is one event handler of a gateway, as discovery produces it and the runtime
// executes it. Register builds the specs of a gateway from its tags, by reflection; code
// written by `sockgate gen` builds the same specs as typed code (see RegisterGenerated).
//
// The runtime runs, for every event: the guards, then Invoke (which decodes, validates and
// pipes the arguments), then the call Invoke returned inside the interceptors, then turns
// the result into the acknowledgement, an emitted Response or a reported error.
type HandlerSpec struct {
	// Event is the event name.
	Event string
	// Method is the name of the gateway method, as ExecutionContext.Method and error
	// messages show it.
	Method string
	// Use names the guards, pipes, interceptors and exception filters of the event's `use:`
	// tag, in order; they run after the gateway's own.
	Use []string
	// Rate is the limit of the event's `rate:` tag, nil when it has none.
	Rate *decorators.Rate
	// Invoke decodes the event's body parameters with Body and returns the call of the
	// method. An error it returns (a decoding, validation or pipe error) is reported to
	// the client and the method is not called.
	Invoke func(e *Event) (call func() (any, error), err error)
}

// Body decodes argument n of e into a T, validates it with the server's validator (struct
// bodies and pointers to structs, by their `validate:` tags) and passes it through the
// handler's pipes. A missing or null argument leaves T's zero value, which is validated
// too. The error is an *Error with CodeInvalidArgument, or what a pipe returned.
func Body[T any](e *Event, n int) (T, error) {
	if len(e.pipes) == 0 && len(e.Args.Attachments()) == 0 {
		// Raw JSON and plain strings need neither decoding nor validation; v stays on
		// the stack on this path.
		var v T
		switch p := any(&v).(type) {
		case *json.RawMessage:
			if raw := e.Args.Raw(n); raw != nil && string(raw) != "null" {
				*p = bytes.Clone(raw) // the handler's own copy, as decodeFast gives it
			}
			return v, nil
		case *string:
			if raw := e.Args.Raw(n); raw == nil || string(raw) == "null" || decodeFast(p, raw, nil) {
				return v, nil
			}
		}
	}
	return body[T](e, n)
}

// body is Body's general path.
func body[T any](e *Event, n int) (T, error) {
	var v T
	err := e.decodeBody(n, &v)
	return v, err
}

// decodeBody is Body for a pointer known only at run time.
func (e *Event) decodeBody(n int, ptr any) error {
	if raw := e.Args.Raw(n); raw != nil && string(raw) != "null" && !decodeFast(ptr, raw, e.Args.Attachments()) {
		if err := e.Args.Decode(n, ptr); err != nil {
			return decodeError(n, err)
		}
	}
	if err := e.socket.nsp.srv.validateBody(ptr); err != nil {
		return err
	}
	for _, p := range e.pipes {
		if err := p(e.ec, n, ptr); err != nil {
			return err
		}
	}
	return nil
}

// decodeFast decodes the two most common bodies without encoding/json: a
// json.RawMessage (a copy of the argument, which the decoder has validated) and a string
// without escapes. It reports false when the general path must run.
func decodeFast(ptr any, raw json.RawMessage, attachments [][]byte) bool {
	switch p := ptr.(type) {
	case *json.RawMessage:
		if len(attachments) == 0 {
			*p = bytes.Clone(raw)
			return true
		}
	case *string:
		if len(raw) >= 2 && raw[0] == '"' && bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
			*p = string(raw[1 : len(raw)-1])
			return true
		}
	}
	return false
}

// validateBody validates struct bodies (and pointers to structs) with the server's
// validator.
func (s *Server) validateBody(ptr any) error {
	v := reflect.ValueOf(ptr).Elem()
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	return validationError(s.validate.Struct(v.Addr().Interface()))
}

// decodeError describes a body that does not decode in JSON's terms (object, array,
// string, number, boolean): the Go types of the server are no business of the client.
// The decoder's own error stays the cause, for logs.
func decodeError(n int, err error) error {
	var te *json.UnmarshalTypeError
	msg := "not a valid value"
	if errors.As(err, &te) {
		msg = fmt.Sprintf("expected %s, got %s", jsonKind(te.Type), te.Value)
		if te.Field != "" {
			msg = te.Field + ": " + msg
		}
	}
	e := NewError(CodeInvalidArgument, fmt.Sprintf("argument %d: %s", n, msg))
	e.cause = err
	return e
}

// jsonKind names the JSON value a Go type decodes from.
func jsonKind(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "binary data"
		}
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a value"
}

// GeneratedVersion is the version of the handler seam this runtime executes. Code written
// by `sockgate gen` passes the version it was written for to RegisterGenerated; a gateway
// whose generated code has another version is refused at registration.
const GeneratedVersion = 1

// generated holds the spec builders registered by generated code, by gateway type.
var generated sync.Map // reflect.Type (*G) -> generatedSpecs

type generatedSpecs struct {
	version int
	build   func(gw any) []HandlerSpec
}

// RegisterGenerated records the handler specs `sockgate gen` wrote for gateway type G;
// generated code calls it from an init function, with the GeneratedVersion it was written
// for. Register then uses these specs for every *G instead of building them by reflection,
// after checking that they still match the struct tags (the same events, methods, `use:`
// names and rates): a mismatch is a registration error that asks to run go generate again.
func RegisterGenerated[G any](version int, specs func(g *G) []HandlerSpec) {
	generated.Store(reflect.TypeFor[*G](), generatedSpecs{
		version: version,
		build:   func(gw any) []HandlerSpec { return specs(gw.(*G)) },
	})
}
