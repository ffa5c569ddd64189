package socketio

import (
	"cmp"
	"encoding"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode"
)

var (
	rawMessageType    = reflect.TypeFor[json.RawMessage]()
	numberType        = reflect.TypeFor[json.Number]()
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	isZeroerType      = reflect.TypeFor[interface{ IsZero() bool }]()
)

// typeInfo is what the argument encoder needs to know about a type, decided once.
type typeInfo struct {
	// raw: json.RawMessage, written verbatim.
	raw bool
	// marshaler: the type has its own JSON or text form, so encoding/json encodes it.
	marshaler bool
	// ptrMarshaler: only *T has that form, used for addressable values as encoding/json does.
	ptrMarshaler bool
	// binary: a byte slice, sent as an attachment.
	binary bool
	// walk: a value of the type may hold a binary or a raw message, so the encoder walks it
	// instead of handing it to encoding/json whole.
	walk bool
	// fields of a struct type, in encoding/json's order and naming.
	fields []field
}

var typeInfos sync.Map // reflect.Type -> *typeInfo

func infoOf(t reflect.Type) *typeInfo {
	if ti, ok := typeInfos.Load(t); ok {
		return ti.(*typeInfo)
	}
	ti := buildInfo(t, map[reflect.Type]bool{})
	actual, _ := typeInfos.LoadOrStore(t, ti)
	return actual.(*typeInfo)
}

func buildInfo(t reflect.Type, visiting map[reflect.Type]bool) *typeInfo {
	ti := &typeInfo{}
	switch {
	case t == rawMessageType:
		ti.raw, ti.walk = true, true
		return ti
	case t.Kind() == reflect.Pointer && t.Elem() == rawMessageType:
		// *json.RawMessage is a Marshaler only through RawMessage's method: walk to the
		// element so it stays verbatim.
		ti.walk = true
		return ti
	case t.Implements(marshalerType) || t.Implements(textMarshalerType):
		ti.marshaler = true
		return ti
	}
	if t.Kind() != reflect.Pointer {
		pt := reflect.PointerTo(t)
		ti.ptrMarshaler = pt.Implements(marshalerType) || pt.Implements(textMarshalerType)
	}
	if t.Kind() == reflect.Struct {
		ti.fields = structFields(t)
	}
	visiting[t] = true
	defer delete(visiting, t)
	mayHold := func(sub reflect.Type) bool {
		if visiting[sub] {
			// A recursive type: assume it may, walking is always correct.
			return true
		}
		if cached, ok := typeInfos.Load(sub); ok {
			return cached.(*typeInfo).walk
		}
		return buildInfo(sub, visiting).walk
	}
	switch t.Kind() {
	case reflect.Interface:
		ti.walk = true
	case reflect.Pointer, reflect.Array, reflect.Map:
		ti.walk = mayHold(t.Elem())
	case reflect.Slice:
		if isBinarySlice(t) {
			ti.binary, ti.walk = true, true
		} else {
			ti.walk = mayHold(t.Elem())
		}
	case reflect.Struct:
		for i := range ti.fields {
			if mayHold(ti.fields[i].typ) {
				ti.walk = true
				break
			}
		}
	}
	return ti
}

// isBinarySlice mirrors encoding/json's choice of base64 for byte slices, which this
// package turns into attachments instead.
func isBinarySlice(t reflect.Type) bool {
	if t.Kind() != reflect.Slice || t.Elem().Kind() != reflect.Uint8 {
		return false
	}
	p := reflect.PointerTo(t.Elem())
	return !p.Implements(marshalerType) && !p.Implements(textMarshalerType)
}

// field is one JSON member of a struct type, resolved with encoding/json's rules so that a
// walked struct looks exactly as json.Marshal would write it.
type field struct {
	name      string
	key       string // `"name":`
	index     []int
	typ       reflect.Type // the Go field's type
	tagged    bool
	omitEmpty bool
	omitZero  bool
	quoted    bool // the ",string" option on a scalar
}

// structFields lists the JSON members of struct type t: exported fields, embedded structs
// promoted breadth first, json tag names and options, and Go's rules for hidden and
// ambiguous names (a shallower field wins, then a tagged one; otherwise all are dropped).
func structFields(t reflect.Type) []field {
	type level struct {
		typ   reflect.Type
		index []int
	}
	var fields []field
	var current []level
	next := []level{{typ: t}}
	var count, nextCount map[reflect.Type]int
	visited := map[reflect.Type]bool{}

	for len(next) > 0 {
		current, next = next, nil
		count, nextCount = nextCount, map[reflect.Type]int{}
		for _, l := range current {
			if visited[l.typ] {
				continue
			}
			visited[l.typ] = true
			for i := range l.typ.NumField() {
				sf := l.typ.Field(i)
				if sf.Anonymous {
					et := sf.Type
					if et.Kind() == reflect.Pointer {
						et = et.Elem()
					}
					if !sf.IsExported() && et.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if !validTagName(name) {
					name = ""
				}
				index := append(slices.Clip(l.index), i)
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if name == "" && sf.Anonymous && ft.Kind() == reflect.Struct {
					// Promote the embedded struct's fields at the next depth.
					nextCount[ft]++
					if nextCount[ft] == 1 {
						next = append(next, level{typ: ft, index: index})
					}
					continue
				}
				f := field{
					name:      name,
					tagged:    name != "",
					index:     index,
					typ:       sf.Type,
					omitEmpty: hasOption(opts, "omitempty"),
					omitZero:  hasOption(opts, "omitzero"),
				}
				if f.name == "" {
					f.name = sf.Name
				}
				if hasOption(opts, "string") {
					switch ft.Kind() {
					case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
						reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
						reflect.Float32, reflect.Float64, reflect.String:
						f.quoted = true
					}
				}
				f.key = string(appendString(nil, f.name)) + ":"
				fields = append(fields, f)
				if count[l.typ] > 1 {
					// The same embedded type twice at one depth: its fields are ambiguous.
					fields = append(fields, f)
				}
			}
		}
	}

	slices.SortFunc(fields, func(a, b field) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		if c := cmp.Compare(len(a.index), len(b.index)); c != 0 {
			return c
		}
		if a.tagged != b.tagged {
			if a.tagged {
				return -1
			}
			return 1
		}
		return slices.Compare(a.index, b.index)
	})
	out := fields[:0]
	for i := 0; i < len(fields); {
		j := i + 1
		for j < len(fields) && fields[j].name == fields[i].name {
			j++
		}
		group := fields[i:j]
		if len(group) == 1 || len(group[0].index) != len(group[1].index) || group[0].tagged != group[1].tagged {
			out = append(out, group[0])
		}
		i = j
	}
	slices.SortFunc(out, func(a, b field) int { return slices.Compare(a.index, b.index) })
	return out
}

func hasOption(opts, name string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == name {
			return true
		}
	}
	return false
}

// validTagName is encoding/json's rule for a usable name in a json tag.
func validTagName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}
