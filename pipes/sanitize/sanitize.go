package sanitize

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"

	"github.com/sockgate/sockgate/gateway"
)

// strict is bluemonday's strict policy: no element is allowed. A policy is safe for
// concurrent use once built.
var strict = bluemonday.StrictPolicy()

// HTML returns s without HTML, its text escaped for HTML; see the package documentation.
func HTML(s string) string {
	if !strings.ContainsAny(s, "<>&'\"\r\x00") {
		return s
	}
	return strict.Sanitize(s)
}

// tagKey is the struct tag key the pipe reads; "html" is its only value.
const tagKey = "sanitize"

// Pipe returns a gateway.Pipe that applies HTML to the string fields tagged
// `sanitize:"html"` of every body parameter; see the package documentation.
func Pipe() gateway.Pipe {
	return func(_ *gateway.ExecutionContext, _ int, value any) error {
		v := reflect.ValueOf(value)
		if v.Kind() != reflect.Pointer || v.IsNil() {
			return nil
		}
		p, err := planOf(v.Type().Elem())
		if err != nil {
			return err
		}
		if p != nil {
			p.apply(v.Elem())
		}
		return nil
	}
}

// plan says where the tagged strings of a type are. A nil *plan means the type holds
// none, so the walk stops there.
type plan struct {
	kind reflect.Kind
	// For structs: the tagged string fields, and the fields that may hold some.
	strings []int
	nested  []nestedField
	// For pointers, slices, arrays and maps: the plan of the element type.
	elem *plan
}

type nestedField struct {
	index int
	plan  *plan
}

// plans caches the plan of every type met, nil plans and errors included.
var plans sync.Map // reflect.Type -> planEntry

type planEntry struct {
	p   *plan
	err error
}

// planOf returns the plan of t. Its error names the type and the field; the gateway logs
// it and answers the client with a generic internal error.
func planOf(t reflect.Type) (*plan, error) {
	if e, ok := plans.Load(t); ok {
		pe := e.(planEntry)
		return pe.p, pe.err
	}
	p, err := build(t, map[reflect.Type]*plan{})
	plans.Store(t, planEntry{p, err})
	return p, err
}

// build computes the plan of t. inProgress breaks cycles of recursive types: a type met
// again while its own plan is being built is assumed to hold tagged strings, and its
// plan is filled in when the outer call ends.
func build(t reflect.Type, inProgress map[reflect.Type]*plan) (*plan, error) {
	if p, ok := inProgress[t]; ok {
		return p, nil
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		p := &plan{kind: t.Kind()}
		inProgress[t] = p
		elem, err := build(t.Elem(), inProgress)
		delete(inProgress, t)
		if err != nil || elem == nil {
			return nil, err
		}
		p.elem = elem
		return p, nil
	case reflect.Struct:
		p := &plan{kind: reflect.Struct}
		inProgress[t] = p
		defer delete(inProgress, t)
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag, tagged := f.Tag.Lookup(tagKey)
			if tagged {
				switch {
				case tag != "html":
					return nil, fmt.Errorf("sanitize: %s.%s: tag %s:%q: the only value is \"html\"", t, f.Name, tagKey, tag)
				case f.Type.Kind() != reflect.String:
					return nil, fmt.Errorf("sanitize: %s.%s: tag %s:%q on a %s: only string fields can be sanitized", t, f.Name, tagKey, tag, f.Type)
				case !f.IsExported():
					return nil, fmt.Errorf("sanitize: %s.%s: tag %s:%q on an unexported field", t, f.Name, tagKey, tag)
				}
				p.strings = append(p.strings, i)
				continue
			}
			if !f.IsExported() {
				continue
			}
			sub, err := build(f.Type, inProgress)
			if err != nil {
				return nil, err
			}
			if sub != nil {
				p.nested = append(p.nested, nestedField{i, sub})
			}
		}
		if len(p.strings) == 0 && len(p.nested) == 0 {
			return nil, nil
		}
		return p, nil
	}
	return nil, nil
}

// apply sanitizes the tagged strings reachable from v, which must be settable where
// strings are found (the pipe receives a pointer, so it is).
func (p *plan) apply(v reflect.Value) {
	switch p.kind {
	case reflect.Pointer:
		if !v.IsNil() && p.elem != nil {
			p.elem.apply(v.Elem())
		}
	case reflect.Slice, reflect.Array:
		if p.elem == nil {
			return
		}
		for i := 0; i < v.Len(); i++ {
			p.elem.apply(v.Index(i))
		}
	case reflect.Map:
		if p.elem == nil {
			return
		}
		// Map values are not addressable: sanitize a copy and store it back.
		iter := v.MapRange()
		for iter.Next() {
			c := reflect.New(v.Type().Elem()).Elem()
			c.Set(iter.Value())
			p.elem.apply(c)
			v.SetMapIndex(iter.Key(), c)
		}
	case reflect.Struct:
		for _, i := range p.strings {
			f := v.Field(i)
			f.SetString(HTML(f.String()))
		}
		for _, n := range p.nested {
			n.plan.apply(v.Field(n.index))
		}
	}
}
