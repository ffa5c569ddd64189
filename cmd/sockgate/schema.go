package main

import (
	"encoding/json"
	"go/constant"
	"go/token"
	"go/types"
	"strconv"
	"strings"
)

// schemaWriter writes JSON Schemas (the AsyncAPI Schema dialect, a superset of JSON Schema
// draft 07) of Go types as encoding/json writes them, with the constraints of their
// validate tags. Named types get a schema of their own under components.schemas.
type schemaWriter struct {
	n    *namer
	docs map[token.Pos]string
	fset *token.FileSet
}

type object = map[string]any

func (w *schemaWriter) schemaOf(t types.Type) object {
	if name, ok := w.n.name(t); ok {
		return object{"$ref": "#/components/schemas/" + name}
	}
	return w.inline(t)
}

func (w *schemaWriter) inline(t types.Type) object {
	k, elem, st := classify(t)
	switch k {
	case kindString:
		return object{"type": "string"}
	case kindTime:
		return object{"type": "string", "format": "date-time"}
	case kindInteger:
		return object{"type": "integer"}
	case kindNumber:
		return object{"type": "number"}
	case kindBoolean:
		return object{"type": "boolean"}
	case kindBinary:
		return object{"type": "string", "format": "binary",
			"description": "a binary attachment of the Socket.IO packet"}
	case kindArray:
		return object{"type": "array", "items": w.schemaOf(elem)}
	case kindMap:
		return object{"type": "object", "additionalProperties": w.schemaOf(elem)}
	case kindNullable:
		return object{"oneOf": []any{w.schemaOf(elem), object{"type": "null"}}}
	case kindStruct:
		return w.objectOf(st)
	}
	return object{}
}

// declaration is the schema of named type nt under components.schemas.
func (w *schemaWriter) declaration(nt *types.Named) object {
	s := w.inline(nt)
	if lits := constValues(w.fset, nt); len(lits) > 0 {
		s["enum"] = lits
	}
	if d := strings.TrimSpace(typeDoc(w.docs, nt)); d != "" {
		s["description"] = d
	}
	return s
}

func (w *schemaWriter) objectOf(st *types.Struct) object {
	props := object{}
	var required []string
	for _, f := range jsonFields(st, w.docs) {
		s := w.schemaOf(f.typ)
		if f.asString {
			s = object{"type": "string"}
		}
		if f.validate != "" {
			var req bool
			s, req = applyValidate(s, f.typ, f.validate)
			if req {
				required = append(required, f.name)
			}
		}
		if d := strings.TrimSpace(f.doc); d != "" {
			s = withDescription(s, d)
		}
		props[f.name] = s
	}
	o := object{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// withDescription adds a description; next to a $ref (where draft 07 ignores siblings) it
// wraps the reference in allOf.
func withDescription(s object, d string) object {
	if _, isRef := s["$ref"]; isRef {
		return object{"allOf": []any{s}, "description": d}
	}
	s["description"] = d
	return s
}

// applyValidate adds the constraints of a go-playground/validator tag that JSON Schema can
// express, and keeps the whole tag as x-validate. It reports whether the field is
// required.
func applyValidate(s object, t types.Type, tag string) (object, bool) {
	if _, isRef := s["$ref"]; isRef {
		s = object{"allOf": []any{s}}
	}
	s["x-validate"] = tag
	rules := strings.Split(tag, ",")
	// Rules after dive apply to the elements (of a slice, or the values of a map).
	var elemTag string
	for i, r := range rules {
		if r == "dive" {
			elemTag, rules = strings.Join(rules[i+1:], ","), rules[:i]
			break
		}
	}
	k, elem, _ := classify(t)
	if k == kindNullable {
		k, elem, _ = classify(elem)
	}
	if elemTag != "" && !strings.Contains(elemTag, "keys") {
		key := map[jsonKind]string{kindArray: "items", kindMap: "additionalProperties"}[k]
		if sub, ok := s[key].(object); ok && key != "" {
			s[key], _ = applyValidate(sub, elem, elemTag)
		}
	}
	required := false
	for _, r := range rules {
		name, param, _ := strings.Cut(r, "=")
		switch name {
		case "required":
			required = true
			switch k {
			case kindString:
				setMin(s, "minLength", 1)
			}
		case "min", "gte":
			setBound(s, k, "min", param, false)
		case "max", "lte":
			setBound(s, k, "max", param, false)
		case "gt":
			setBound(s, k, "min", param, true)
		case "lt":
			setBound(s, k, "max", param, true)
		case "len":
			setBound(s, k, "min", param, false)
			setBound(s, k, "max", param, false)
		case "oneof":
			var vals []any
			for _, v := range strings.Fields(param) {
				if k == kindInteger || k == kindNumber {
					if n, err := strconv.ParseFloat(v, 64); err == nil {
						vals = append(vals, n)
						continue
					}
				}
				vals = append(vals, v)
			}
			s["enum"] = vals
		case "email":
			s["format"] = "email"
		case "url", "uri", "http_url":
			s["format"] = "uri"
		case "uuid", "uuid4":
			s["format"] = "uuid"
		case "ipv4":
			s["format"] = "ipv4"
		case "ipv6":
			s["format"] = "ipv6"
		case "hostname":
			s["format"] = "hostname"
		case "alpha":
			s["pattern"] = "^[a-zA-Z]+$"
		case "alphanum":
			s["pattern"] = "^[a-zA-Z0-9]+$"
		case "numeric":
			s["pattern"] = "^[-+]?[0-9]+(?:\\.[0-9]+)?$"
		}
	}
	return s, required
}

func setMin(s object, key string, n int) {
	if _, ok := s[key]; !ok {
		s[key] = n
	}
}

// setBound sets the lower or upper bound a validator rule means for a kind of value: a
// length for strings, a count for arrays and objects, the value for numbers.
func setBound(s object, k jsonKind, side, param string, exclusive bool) {
	switch k {
	case kindInteger, kindNumber:
		n, err := strconv.ParseFloat(param, 64)
		if err != nil {
			return
		}
		key := map[string]string{"min": "minimum", "max": "maximum"}[side]
		if exclusive {
			key = map[string]string{"min": "exclusiveMinimum", "max": "exclusiveMaximum"}[side]
		}
		s[key] = n
		return
	}
	n, err := strconv.Atoi(param)
	if err != nil {
		return
	}
	if exclusive {
		if side == "min" {
			n++
		} else {
			n--
		}
	}
	var key string
	switch k {
	case kindString:
		key = side + "Length"
	case kindArray, kindBinary:
		key = side + "Items"
	case kindMap, kindStruct:
		key = side + "Properties"
	default:
		return
	}
	s[key] = n
}

// constValues lists the values of the constants of named type nt, for an enum.
func constValues(fset *token.FileSet, nt *types.Named) []any {
	var out []any
	for _, lit := range constLiterals(fset, nt) {
		var s string
		if err := json.Unmarshal([]byte(lit), &s); err == nil {
			out = append(out, s)
			continue
		}
		v := constant.MakeFromLiteral(lit, token.FLOAT, 0)
		if f, ok := constant.Float64Val(v); ok {
			out = append(out, f)
			continue
		}
		out = append(out, lit == "true")
	}
	return out
}
