package socketio

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// maxEncodeDepth bounds how deep the argument walker follows pointers and containers, so
// that a cyclic value is an error instead of a stack overflow.
const maxEncodeDepth = 1000

var errTooDeep = errors.New("socketio: value nested too deeply (cyclic?)")

// AppendEvent appends the data of an EVENT, `["event",arg1,...]`, to dst. Every []byte in
// the arguments, at any depth, becomes a placeholder {"_placeholder":true,"num":N} and is
// returned as attachment N (see AppendArgs for the details). A reserved event name is an
// error matching ErrReservedEvent.
//
// On error, dst is returned with its original length.
func AppendEvent(dst []byte, event string, args []any) ([]byte, [][]byte, error) {
	if IsReserved(event) {
		return dst, nil, fmt.Errorf("%w: %q", ErrReservedEvent, event)
	}
	e := argEncoder{buf: appendString(append(dst, '['), event)}
	for i, a := range args {
		e.buf = append(e.buf, ',')
		if err := e.encode(a); err != nil {
			return dst, nil, fmt.Errorf("socketio: event %q argument %d: %w", event, i, err)
		}
	}
	return append(e.buf, ']'), e.atts, nil
}

// AppendArgs appends `[arg1,...]`, the data of an ACK, to dst, and returns the binary
// attachments.
//
// Values are walked depth first, arrays in index order and objects in the order their
// members are written, and every []byte (also inside maps, slices, arrays, structs,
// pointers and interfaces) is replaced by {"_placeholder":true,"num":N}, N counting from 0.
// The attachments are the caller's slices, not copies: they must stay unchanged until
// sent. A nil []byte is null, as in encoding/json.
//
// Everything else is encoded as encoding/json would encode it with HTML escaping off:
// struct fields by their json tags (including omitempty, omitzero, string and "-"), map
// keys sorted, Marshaler and TextMarshaler types by their methods. json.RawMessage values
// are written verbatim (after a validity check), so received JSON can be sent back byte for
// byte. Types that cannot hold a []byte or a json.RawMessage are handed to encoding/json
// whole; that decision is made once per type.
func AppendArgs(dst []byte, args []any) ([]byte, [][]byte, error) {
	e := argEncoder{buf: append(dst, '[')}
	for i, a := range args {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		if err := e.encode(a); err != nil {
			return dst, nil, fmt.Errorf("socketio: argument %d: %w", i, err)
		}
	}
	return append(e.buf, ']'), e.atts, nil
}

// argEncoder is the state of one AppendEvent or AppendArgs call.
type argEncoder struct {
	buf   []byte
	atts  [][]byte
	depth int
}

func (e *argEncoder) encode(v any) error {
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case string:
		e.buf = appendString(e.buf, x)
	case json.RawMessage:
		return e.raw(x)
	case []byte:
		e.binary(x)
	case bool:
		e.buf = strconv.AppendBool(e.buf, x)
	case int:
		e.buf = strconv.AppendInt(e.buf, int64(x), 10)
	case int64:
		e.buf = strconv.AppendInt(e.buf, x, 10)
	case int32:
		e.buf = strconv.AppendInt(e.buf, int64(x), 10)
	case uint:
		e.buf = strconv.AppendUint(e.buf, uint64(x), 10)
	case uint64:
		e.buf = strconv.AppendUint(e.buf, x, 10)
	case uint32:
		e.buf = strconv.AppendUint(e.buf, uint64(x), 10)
	case []any:
		return e.sliceAny(x)
	case map[string]any:
		return e.mapStringAny(x)
	default:
		ti := infoOf(reflect.TypeOf(v))
		if !ti.walk {
			return e.delegate(v)
		}
		return e.value(reflect.ValueOf(v))
	}
	return nil
}

// raw writes a json.RawMessage verbatim; empty means null, as in encoding/json.
func (e *argEncoder) raw(m []byte) error {
	if len(m) == 0 {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	s := scanner{data: m}
	if _, err := s.top(); err != nil {
		return fmt.Errorf("json.RawMessage: %w", err)
	}
	e.buf = append(e.buf, m...)
	return nil
}

func (e *argEncoder) binary(b []byte) {
	if b == nil {
		e.buf = append(e.buf, "null"...)
		return
	}
	e.buf = append(e.buf, `{"_placeholder":true,"num":`...)
	e.buf = strconv.AppendInt(e.buf, int64(len(e.atts)), 10)
	e.buf = append(e.buf, '}')
	e.atts = append(e.atts, b)
}

func (e *argEncoder) enter() error {
	e.depth++
	if e.depth > maxEncodeDepth {
		return errTooDeep
	}
	return nil
}

func (e *argEncoder) sliceAny(s []any) error {
	if s == nil {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	if err := e.enter(); err != nil {
		return err
	}
	e.buf = append(e.buf, '[')
	for i, v := range s {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		if err := e.encode(v); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, ']')
	e.depth--
	return nil
}

func (e *argEncoder) mapStringAny(m map[string]any) error {
	if m == nil {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	if err := e.enter(); err != nil {
		return err
	}
	var small [16]string
	keys := small[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	e.buf = append(e.buf, '{')
	for i, k := range keys {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = append(appendString(e.buf, k), ':')
		if err := e.encode(m[k]); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, '}')
	e.depth--
	return nil
}

// value encodes a reflected value, walking only where a binary or raw message may hide.
func (e *argEncoder) value(v reflect.Value) error {
	if !v.IsValid() {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	ti := infoOf(v.Type())
	switch {
	case ti.raw:
		return e.raw(v.Bytes())
	case ti.marshaler:
		return e.delegateValue(v)
	case ti.ptrMarshaler && v.CanAddr():
		return e.delegateValue(v.Addr())
	case !ti.walk && v.CanInterface():
		return e.delegateValue(v)
	}
	if err := e.enter(); err != nil {
		return err
	}
	defer func() { e.depth-- }()
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		return e.value(v.Elem())
	case reflect.Slice:
		if ti.binary {
			e.binary(v.Bytes())
			return nil
		}
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		return e.array(v)
	case reflect.Array:
		return e.array(v)
	case reflect.Map:
		return e.mapValue(v)
	case reflect.Struct:
		return e.structValue(v, ti.fields)
	}
	return e.delegateValue(v)
}

func (e *argEncoder) array(v reflect.Value) error {
	e.buf = append(e.buf, '[')
	for i := range v.Len() {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		if err := e.value(v.Index(i)); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, ']')
	return nil
}

type mapEntry struct {
	key   string
	value reflect.Value
}

func (e *argEncoder) mapValue(v reflect.Value) error {
	if v.IsNil() {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	entries := make([]mapEntry, 0, v.Len())
	for it := v.MapRange(); it.Next(); {
		k, err := mapKey(it.Key())
		if err != nil {
			return err
		}
		entries = append(entries, mapEntry{k, it.Value()})
	}
	slices.SortFunc(entries, func(a, b mapEntry) int { return strings.Compare(a.key, b.key) })
	e.buf = append(e.buf, '{')
	for i, en := range entries {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = append(appendString(e.buf, en.key), ':')
		if err := e.value(en.value); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

// mapKey names a map key as encoding/json does.
func mapKey(k reflect.Value) (string, error) {
	if k.Kind() == reflect.String {
		return k.String(), nil
	}
	if k.Type().Implements(textMarshalerType) && k.CanInterface() {
		if k.Kind() == reflect.Pointer && k.IsNil() {
			return "", nil
		}
		b, err := k.Interface().(encoding.TextMarshaler).MarshalText()
		if err != nil {
			return "", fmt.Errorf("map key: %w", err)
		}
		return string(b), nil
	}
	switch k.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(k.Uint(), 10), nil
	}
	return "", fmt.Errorf("unsupported map key type %s", k.Type())
}

func (e *argEncoder) structValue(v reflect.Value, fields []field) error {
	e.buf = append(e.buf, '{')
	first := true
fieldLoop:
	for i := range fields {
		f := &fields[i]
		fv := v
		for _, x := range f.index {
			if fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					// A nil embedded pointer hides its promoted fields.
					continue fieldLoop
				}
				fv = fv.Elem()
			}
			fv = fv.Field(x)
		}
		if (f.omitEmpty && isEmptyValue(fv)) || (f.omitZero && isZeroValue(fv)) {
			continue
		}
		if !first {
			e.buf = append(e.buf, ',')
		}
		first = false
		e.buf = append(e.buf, f.key...)
		var err error
		if f.quoted {
			err = e.quoted(fv)
		} else {
			err = e.value(fv)
		}
		if err != nil {
			return fmt.Errorf("field %s: %w", f.name, err)
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

// quoted writes a scalar field tagged ",string" as a JSON string holding its JSON text.
func (e *argEncoder) quoted(v reflect.Value) error {
	ti := infoOf(v.Type())
	if ti.marshaler || (ti.ptrMarshaler && v.CanAddr()) {
		return e.value(v)
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		return e.quoted(v.Elem())
	}
	mark := len(e.buf)
	if err := e.delegateValue(v); err != nil {
		return err
	}
	if v.Kind() == reflect.String && v.Type() != numberType {
		text := string(e.buf[mark:])
		e.buf = appendString(e.buf[:mark], text)
		return nil
	}
	e.buf = append(e.buf, 0)
	copy(e.buf[mark+1:], e.buf[mark:])
	e.buf[mark] = '"'
	e.buf = append(e.buf, '"')
	return nil
}

// isEmptyValue is encoding/json's omitempty test.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// isZeroValue is encoding/json's omitzero test: an IsZero method when there is one.
func isZeroValue(v reflect.Value) bool {
	t := v.Type()
	if !v.CanInterface() {
		return v.IsZero()
	}
	type zeroer = interface{ IsZero() bool }
	switch {
	case t.Kind() == reflect.Interface && t.Implements(isZeroerType):
		return v.IsNil() || (v.Elem().Kind() == reflect.Pointer && v.Elem().IsNil()) || v.Interface().(zeroer).IsZero()
	case t.Kind() == reflect.Pointer && t.Implements(isZeroerType):
		return v.IsNil() || v.Interface().(zeroer).IsZero()
	case t.Implements(isZeroerType):
		return v.Interface().(zeroer).IsZero()
	case reflect.PointerTo(t).Implements(isZeroerType):
		if !v.CanAddr() {
			c := reflect.New(t).Elem()
			c.Set(v)
			v = c
		}
		return v.Addr().Interface().(zeroer).IsZero()
	}
	return v.IsZero()
}

func (e *argEncoder) delegateValue(v reflect.Value) error {
	if !v.CanInterface() {
		return fmt.Errorf("cannot encode value of type %s reached through an unexported field", v.Type())
	}
	return e.delegate(v.Interface())
}

// jsonEncoder is a pooled json.Encoder that appends to a caller's buffer, so encoding a
// value costs no allocation of its own beyond encoding/json's.
type jsonEncoder struct {
	w   appendWriter
	enc *json.Encoder
}

type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

var jsonEncoders = sync.Pool{New: func() any {
	je := &jsonEncoder{}
	je.enc = json.NewEncoder(&je.w)
	je.enc.SetEscapeHTML(false)
	return je
}}

// delegate encodes v with encoding/json.
func (e *argEncoder) delegate(v any) error {
	je := jsonEncoders.Get().(*jsonEncoder)
	je.w.b = e.buf
	err := je.enc.Encode(v)
	b := je.w.b
	je.w.b = nil
	jsonEncoders.Put(je)
	if err != nil {
		return err
	}
	// Encode ends every value with a newline.
	e.buf = b[:len(b)-1]
	return nil
}
