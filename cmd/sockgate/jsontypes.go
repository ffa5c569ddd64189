package main

import (
	"go/token"
	"go/types"
	"reflect"
	"sort"
	"strings"
)

// jsonField is a struct field as encoding/json writes it.
type jsonField struct {
	name      string
	typ       types.Type
	omitEmpty bool // omitempty or omitzero: the member may be absent
	asString  bool // the ,string option: a number or bool written as a JSON string
	validate  string
	doc       string
	pos       int // order of appearance, depth first
	depth     int
	tagged    bool
}

// jsonFields lists the members encoding/json writes for st, following its rules: exported
// fields, json tag names and options, "-" skipped, embedded structs flattened, and among
// fields of the same name the shallowest (then the tagged) one winning, a tie dropping all.
func jsonFields(st *types.Struct, docs map[token.Pos]string) []jsonField {
	var all []jsonField
	var walk func(st *types.Struct, depth int, seen map[*types.Struct]bool)
	walk = func(st *types.Struct, depth int, seen map[*types.Struct]bool) {
		if seen[st] {
			return
		}
		seen[st] = true
		defer delete(seen, st)
		for i := range st.NumFields() {
			f := st.Field(i)
			tag := reflect.StructTag(st.Tag(i))
			jtag, hasTag := tag.Lookup("json")
			if jtag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(jtag, ",")
			ft := f.Type()
			if f.Embedded() && name == "" {
				et := ft
				if p, ok := et.Underlying().(*types.Pointer); ok {
					et = p.Elem()
				}
				if est, ok := et.Underlying().(*types.Struct); ok && !hasJSONMethods(et) {
					walk(est, depth+1, seen)
					continue
				}
				if !f.Exported() {
					continue
				}
			} else if !f.Exported() {
				continue
			}
			jf := jsonField{name: name, typ: ft, depth: depth, tagged: hasTag && name != "",
				validate: tag.Get("validate"), pos: len(all)}
			if jf.name == "" {
				jf.name = f.Name()
			}
			for _, o := range strings.Split(opts, ",") {
				switch o {
				case "omitempty", "omitzero":
					jf.omitEmpty = true
				case "string":
					jf.asString = isScalar(ft)
				}
			}
			jf.doc = docs[f.Pos()]
			all = append(all, jf)
		}
	}
	walk(st, 0, map[*types.Struct]bool{})
	byName := map[string][]jsonField{}
	var order []string
	for _, f := range all {
		if _, ok := byName[f.name]; !ok {
			order = append(order, f.name)
		}
		byName[f.name] = append(byName[f.name], f)
	}
	var out []jsonField
	for _, name := range order {
		fs := byName[name]
		sort.SliceStable(fs, func(i, j int) bool {
			if fs[i].depth != fs[j].depth {
				return fs[i].depth < fs[j].depth
			}
			return fs[i].tagged && !fs[j].tagged
		})
		if len(fs) > 1 && fs[0].depth == fs[1].depth && fs[0].tagged == fs[1].tagged {
			continue // ambiguous: encoding/json writes none of them
		}
		out = append(out, fs[0])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].pos < out[j].pos })
	return out
}

func isScalar(t types.Type) bool {
	if p, ok := t.Underlying().(*types.Pointer); ok {
		t = p.Elem()
	}
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&(types.IsNumeric|types.IsBoolean|types.IsString) != 0
}

// hasJSONMethods reports whether t (or *t) has its own MarshalJSON or MarshalText.
func hasJSONMethods(t types.Type) bool {
	return hasMethod(t, "MarshalJSON") || hasMethod(t, "MarshalText")
}

func hasMethod(t types.Type, name string) bool {
	for _, tt := range []types.Type{t, types.NewPointer(t)} {
		if _, isPtr := t.(*types.Pointer); isPtr && tt != t {
			continue
		}
		ms := types.NewMethodSet(tt)
		for i := range ms.Len() {
			if ms.At(i).Obj().Name() == name {
				return true
			}
		}
	}
	return false
}

// jsonKind is what a Go type becomes in JSON, as far as the schemas care.
type jsonKind uint8

const (
	kindAny     jsonKind = iota // any JSON value
	kindString                  // also TextMarshaler types
	kindTime                    // time.Time: an RFC 3339 string
	kindInteger                 // integer types
	kindNumber                  // floats
	kindBoolean
	kindBinary // []byte: a binary attachment of the socket.io packet
	kindArray  // slices and arrays (elem)
	kindMap    // maps (elem), keys written as strings
	kindStruct // an object of jsonFields
	kindNullable
)

// classify says what t is in JSON. For kindArray, kindMap and kindNullable it also returns
// the element type; for kindStruct, the struct.
func classify(t types.Type) (jsonKind, types.Type, *types.Struct) {
	t = types.Unalias(t)
	switch {
	case isNamed(t, "time", "Time"):
		return kindTime, nil, nil
	case isNamed(t, "encoding/json", "RawMessage"):
		return kindAny, nil, nil
	case isNamed(t, "encoding/json", "Number"):
		return kindNumber, nil, nil
	case isArgs(t):
		return kindArray, types.NewInterfaceType(nil, nil), nil
	}
	if _, ok := t.(*types.Named); ok {
		if hasMethod(t, "MarshalJSON") {
			return kindAny, nil, nil
		}
		if hasMethod(t, "MarshalText") {
			return kindString, nil, nil
		}
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		switch {
		case u.Info()&types.IsBoolean != 0:
			return kindBoolean, nil, nil
		case u.Info()&types.IsInteger != 0:
			return kindInteger, nil, nil
		case u.Info()&types.IsFloat != 0:
			return kindNumber, nil, nil
		case u.Info()&types.IsString != 0:
			return kindString, nil, nil
		}
		return kindAny, nil, nil
	case *types.Pointer:
		return kindNullable, u.Elem(), nil
	case *types.Slice:
		if isByte(u.Elem()) {
			return kindBinary, nil, nil
		}
		return kindArray, u.Elem(), nil
	case *types.Array:
		return kindArray, u.Elem(), nil
	case *types.Map:
		return kindMap, u.Elem(), nil
	case *types.Struct:
		return kindStruct, nil, u
	}
	return kindAny, nil, nil
}

func isByte(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Kind() == types.Byte
}

// namer gives every named type that gets a declaration of its own (structs and named
// non-struct types of the schemas) one unique name: the Go name, prefixed with the
// package name when two packages' types share it.
type namer struct {
	local *types.Package
	names map[string]string // type key -> name
	used  map[string]string // name -> type key
	order []types.Type      // declaration order
	decl  map[string]types.Type
}

func newNamer(local *types.Package) *namer {
	return &namer{local: local, names: map[string]string{}, used: map[string]string{}, decl: map[string]types.Type{}}
}

// name reports whether t gets a declaration of its own, and its name.
func (n *namer) name(t types.Type) (string, bool) {
	nt, ok := types.Unalias(t).(*types.Named)
	if !ok || nt.TypeArgs().Len() > 0 || nt.Obj().Pkg() == nil {
		return "", false
	}
	if k, _, _ := classify(nt); k != kindStruct && k != kindString && k != kindInteger && k != kindNumber && k != kindBoolean {
		return "", false // maps, slices and the like are written inline
	} else if k == kindString && (isNamed(nt, "time", "Time") || hasMethod(nt, "MarshalText")) {
		return "", false
	}
	key := nt.Obj().Pkg().Path() + "." + nt.Obj().Name()
	if name, ok := n.names[key]; ok {
		return name, true
	}
	name := nt.Obj().Name()
	if nt.Obj().Pkg() != n.local {
		if _, taken := n.used[name]; taken || n.localHas(name) {
			name = exportName(nt.Obj().Pkg().Name()) + name
		}
	}
	for i := 2; ; i++ {
		if _, taken := n.used[name]; !taken {
			break
		}
		name = nt.Obj().Name() + itoa(i)
	}
	n.names[key] = name
	n.used[name] = key
	n.decl[name] = nt
	n.order = append(n.order, nt)
	return name, true
}

func (n *namer) localHas(name string) bool {
	if n.local == nil {
		return false
	}
	_, ok := n.local.Scope().Lookup(name).(*types.TypeName)
	return ok
}

func exportName(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// sharedDocs are the doc comments of the gateway package's types that every generated file
// declares; that package is read from export data, without its comments.
var sharedDocs = map[string]string{
	gatewayPath + ".ErrorBody": "ErrorBody is what a client receives for a failed event: in the acknowledgement (without\n" +
		"event) and in the \"exception\" event (with the name of the event that failed).",
	gatewayPath + ".Code":       "Code is the closed set of error codes a client can see.",
	gatewayPath + ".FieldError": "FieldError describes one invalid field of a message body.",
}

// typeDoc is the doc comment of named type nt.
func typeDoc(docs map[token.Pos]string, nt *types.Named) string {
	if d, ok := docs[nt.Obj().Pos()]; ok {
		return d
	}
	if nt.Obj().Pkg() != nil {
		return sharedDocs[nt.Obj().Pkg().Path()+"."+nt.Obj().Name()]
	}
	return ""
}
