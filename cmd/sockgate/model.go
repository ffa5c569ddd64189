package main

import (
	"errors"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"reflect"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"

	"github.com/sockgate/sockgate/decorators"
	"github.com/sockgate/sockgate/internal/tags"
)

const (
	decoratorsPath = "github.com/sockgate/sockgate/decorators"
	gatewayPath    = "github.com/sockgate/sockgate/gateway"
	payloadPath    = "github.com/sockgate/sockgate/payload"
)

// isArgs reports whether t is gateway.Args, an alias of payload.Args.
func isArgs(t types.Type) bool {
	return isNamed(t, payloadPath, "Args") || isNamed(t, gatewayPath, "Args")
}

// pkgInfo is what the generator knows about one package: its gateways, in source order.
type pkgInfo struct {
	name     string // package name
	path     string // import path
	dir      string
	types    *types.Package
	docs     map[token.Pos]string
	fset     *token.FileSet
	gateways []*gatewayDecl
}

// gatewayDecl is one gateway type, read from source through the decorators parsers.
type gatewayDecl struct {
	name      string // Go type name
	doc       string
	namespace string // the namespace, or a regular expression when pattern
	pattern   bool
	use       []string
	rate      *decorators.Rate // the gateway's rate: tag, for events without their own
	handlers  []*handlerDecl
	emits     []*emitDecl
}

// handlerDecl is one Subscribe field and the method it names.
type handlerDecl struct {
	field  string
	event  string
	method string
	use    []string
	rate   *decorators.Rate
	doc    string
	params []paramDecl
	result resultShape
	value  types.Type // the T of results T and (T, error); nil otherwise
}

// emitDecl is one Emits field.
type emitDecl struct {
	event   string
	payload types.Type
	doc     string
}

type paramKind uint8

const (
	paramContext paramKind = iota
	paramSocket
	paramEvent
	paramArgs
	paramBody
)

type paramDecl struct {
	kind paramKind
	typ  types.Type
	name string // as in the Go signature
}

type resultShape uint8

const (
	resultNone     resultShape = iota // func(...)
	resultError                       // func(...) error
	resultValue                       // func(...) T
	resultValueErr                    // func(...) (T, error)
)

// bodies returns the types of the body parameters, in order.
func (h *handlerDecl) bodies() []types.Type {
	var out []types.Type
	for _, p := range h.params {
		if p.kind == paramBody {
			out = append(out, p.typ)
		}
	}
	return out
}

// returnsResponse reports whether the handler's value is a gateway.Response, which is
// emitted to the sender instead of acknowledging with it.
func (h *handlerDecl) returnsResponse() bool {
	return h.value != nil && isNamed(h.value, gatewayPath, "Response")
}

// loadPackages loads the packages matching patterns (relative to dir), with syntax and
// types. Generated files (zz_sockgate.go) are read as empty, so that stale generated code
// never stops the generator from reading the declarations it is generated from.

func loadPackages(dir string, patterns ...string) ([]*pkgInfo, error) {
	cfg := &packages.Config{
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes |
			packages.NeedTypesInfo | packages.NeedImports,
		Dir:     dir,
		Overlay: map[string][]byte{},
	}
	// A first, cheap pass finds the generated files to blank.
	names, err := packages.Load(&packages.Config{Mode: packages.NeedName | packages.NeedFiles, Dir: dir}, patterns...)
	if err != nil {
		return nil, err
	}
	for _, p := range names {
		for _, f := range p.GoFiles {
			if strings.HasSuffix(f, "/"+generatedGoFile) {
				cfg.Overlay[f] = []byte("package " + p.Name + "\n")
			}
		}
	}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		return nil, err
	}
	var errs []error
	var out []*pkgInfo
	for _, p := range pkgs {
		for _, e := range p.Errors {
			errs = append(errs, e)
		}
		if len(p.Errors) > 0 {
			continue
		}
		info, err := readPackage(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, info)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// readPackage finds the gateways of p: struct types that embed decorators.Gateway.
func readPackage(p *packages.Package) (*pkgInfo, error) {
	info := &pkgInfo{name: p.Name, path: p.PkgPath, types: p.Types, fset: p.Fset}
	if len(p.GoFiles) > 0 {
		info.dir = dirOf(p.GoFiles[0])
	}
	docs := typeDocs(p)
	info.docs = docs
	if len(p.GoFiles) == 0 {
		return nil, fmt.Errorf("%s: no Go files", p.PkgPath)
	}
	var errs []error
	scope := p.Types.Scope()
	var named []*types.TypeName
	for _, name := range scope.Names() {
		if tn, ok := scope.Lookup(name).(*types.TypeName); ok && !tn.IsAlias() {
			named = append(named, tn)
		}
	}
	// Source order, file by file: positions alone depend on the order files were parsed in.
	sort.Slice(named, func(i, j int) bool { return posLess(p.Fset, named[i].Pos(), named[j].Pos()) })
	for _, tn := range named {
		nt, ok := tn.Type().(*types.Named)
		if !ok || nt.TypeParams().Len() > 0 {
			continue
		}
		st, ok := nt.Underlying().(*types.Struct)
		if !ok || !hasGatewayMarker(st) {
			continue
		}
		g, err := readGateway(p.Fset, nt, st, docs)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		info.gateways = append(info.gateways, g)
	}
	return info, errors.Join(errs...)
}

func hasGatewayMarker(st *types.Struct) bool {
	for i := range st.NumFields() {
		if isNamed(st.Field(i).Type(), decoratorsPath, "Gateway") {
			return true
		}
	}
	return false
}

// readGateway mirrors the runtime's discovery: every problem is reported, each naming the
// position, the type, the field and the tag.
func readGateway(fset *token.FileSet, nt *types.Named, st *types.Struct, docs map[token.Pos]string) (*gatewayDecl, error) {
	g := &gatewayDecl{name: nt.Obj().Name(), doc: docs[nt.Obj().Pos()], namespace: "/"}
	var errs []error
	fail := func(pos token.Pos, field, tag, format string, args ...any) {
		where := g.name
		if field != "" {
			where += "." + field
		}
		if tag != "" {
			where += " `" + tag + "`"
		}
		errs = append(errs, fmt.Errorf("%s: %s: %s", fset.Position(pos), where, fmt.Sprintf(format, args...)))
	}
	sawGateway := false
	seen := map[string]string{}
	type emitKey struct {
		event   string
		payload string
	}
	seenEmit := map[emitKey]bool{}
	mset := types.NewMethodSet(types.NewPointer(nt))
	for i := range st.NumFields() {
		f := st.Field(i)
		tag := st.Tag(i)
		field := f.Name()
		if field == "_" {
			field = fmt.Sprintf("_ (field %d)", i)
		}
		switch {
		case isNamed(f.Type(), decoratorsPath, "Gateway"):
			if sawGateway {
				fail(f.Pos(), field, tag, "more than one decorators.Gateway marker")
				continue
			}
			sawGateway = true
			gt, err := tags.ParseGateway(reflect.StructTag(tag))
			if err != nil {
				fail(f.Pos(), field, tag, "%v", err)
				continue
			}
			g.namespace, g.pattern, g.use, g.rate = gt.Namespace, gt.NamespacePattern, gt.Use, gt.Rate
		case isNamed(f.Type(), decoratorsPath, "Subscribe"):
			sub, err := tags.ParseSubscribe(reflect.StructTag(tag))
			if err != nil {
				fail(f.Pos(), field, tag, "%v", err)
				continue
			}
			if prev, dup := seen[sub.Event]; dup {
				fail(f.Pos(), field, tag, "event %q is already handled by field %s", sub.Event, prev)
				continue
			}
			seen[sub.Event] = field
			h := &handlerDecl{field: field, event: sub.Event, method: sub.Handler, use: sub.Use, rate: sub.Rate}
			if h.method == "" {
				h.method = tags.MethodName(sub.Event)
			}
			sel := mset.Lookup(nil, h.method)
			fn, ok := selObj(sel)
			if !ok {
				fail(f.Pos(), field, tag, "no method %s for event %q (it must be exported and defined on *%s or %s)",
					h.method, sub.Event, g.name, g.name)
				continue
			}
			if err := h.analyse(fn.Type().(*types.Signature)); err != nil {
				fail(f.Pos(), field, tag, "method %s: %v", h.method, err)
				continue
			}
			h.doc = docs[fn.Pos()]
			g.handlers = append(g.handlers, h)
		default:
			payload, ok := emitsPayload(f.Type())
			if !ok {
				continue
			}
			et, err := tags.ParseEmits(reflect.StructTag(tag))
			if err != nil {
				fail(f.Pos(), field, tag, "%v", err)
				continue
			}
			k := emitKey{et.Event, types.TypeString(payload, nil)}
			if seenEmit[k] {
				fail(f.Pos(), field, tag, "event %q is already declared with payload %s", et.Event, k.payload)
				continue
			}
			seenEmit[k] = true
			if err := checkJSONType(payload); err != nil {
				fail(f.Pos(), field, tag, "payload %s: %v", k.payload, err)
				continue
			}
			g.emits = append(g.emits, &emitDecl{event: et.Event, payload: payload, doc: docs[f.Pos()]})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return g, nil
}

// selObj returns the method of a selection, promoted from an embedded field or not (the
// runtime finds both; the generated code, in the same package, can call both).
func selObj(sel *types.Selection) (*types.Func, bool) {
	if sel == nil || sel.Kind() != types.MethodVal {
		return nil, false
	}
	fn, ok := sel.Obj().(*types.Func)
	return fn, ok && fn.Exported()
}

// emitsPayload reports whether t is decorators.Emits[T] and returns T.
func emitsPayload(t types.Type) (types.Type, bool) {
	nt, ok := t.(*types.Named)
	if !ok || !isNamed(nt.Origin(), decoratorsPath, "Emits") || nt.TypeArgs().Len() != 1 {
		return nil, false
	}
	return nt.TypeArgs().At(0), true
}

// analyse checks a method's signature the way the runtime does and records it.
func (h *handlerDecl) analyse(sig *types.Signature) error {
	var problems []string
	seen := map[paramKind]bool{}
	for i := range sig.Params().Len() {
		pt := sig.Params().At(i).Type()
		var k paramKind
		switch {
		case isNamed(pt, "context", "Context"):
			k = paramContext
		case isPointerTo(pt, gatewayPath, "Socket"):
			k = paramSocket
		case isPointerTo(pt, gatewayPath, "Event"):
			k = paramEvent
		case isArgs(pt):
			k = paramArgs
		default:
			if err := checkBodyType(pt); err != nil {
				problems = append(problems, fmt.Sprintf("parameter %d (%s): %v", i+1, typeName(pt), err))
				continue
			}
			k = paramBody
		}
		if k != paramBody && seen[k] {
			problems = append(problems, fmt.Sprintf("parameter %d: a second %s", i+1, typeName(pt)))
		}
		seen[k] = true
		h.params = append(h.params, paramDecl{kind: k, typ: pt, name: sig.Params().At(i).Name()})
	}
	if sig.Variadic() {
		problems = append(problems, "variadic methods are not supported; take gateway.Args for all arguments")
	}
	res := sig.Results()
	switch res.Len() {
	case 0:
		h.result = resultNone
	case 1:
		if isError(res.At(0).Type()) {
			h.result = resultError
		} else if err := checkJSONType(res.At(0).Type()); err != nil {
			problems = append(problems, fmt.Sprintf("result %s: %v", typeName(res.At(0).Type()), err))
		} else {
			h.result, h.value = resultValue, res.At(0).Type()
		}
	case 2:
		if !isError(res.At(1).Type()) {
			problems = append(problems, "with two results, the second must be error")
		} else if err := checkJSONType(res.At(0).Type()); err != nil {
			problems = append(problems, fmt.Sprintf("result %s: %v", typeName(res.At(0).Type()), err))
		}
		h.result, h.value = resultValueErr, res.At(0).Type()
	default:
		problems = append(problems, "at most two results: (T, error)")
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// checkBodyType refuses the parameter types the runtime refuses: the framework's own
// types other than those it injects, and types that cannot travel as JSON.
func checkBodyType(t types.Type) error {
	base := t
	for {
		p, ok := base.Underlying().(*types.Pointer)
		if !ok {
			break
		}
		base = p.Elem()
	}
	if nt, ok := types.Unalias(base).(*types.Named); ok && nt.Obj().Pkg() != nil &&
		nt.Obj().Pkg().Path() == gatewayPath && nt.Obj().Exported() {
		return fmt.Errorf("a gateway.%s cannot be injected or decoded from the client's arguments; "+
			"a handler takes context.Context, *gateway.Socket, *gateway.Event, gateway.Args, and body types", nt.Obj().Name())
	}
	return checkJSONType(t)
}

// checkJSONType refuses the types that cannot travel as JSON, as the runtime does.
func checkJSONType(t types.Type) error {
	switch u := t.Underlying().(type) {
	case *types.Chan:
		return errors.New("a chan cannot be decoded from or encoded to JSON")
	case *types.Signature:
		return errors.New("a func cannot be decoded from or encoded to JSON")
	case *types.Basic:
		switch u.Kind() {
		case types.UnsafePointer:
			return errors.New("a unsafe.Pointer cannot be decoded from or encoded to JSON")
		case types.Complex64, types.Complex128:
			return fmt.Errorf("a %s cannot be decoded from or encoded to JSON", u.Name())
		}
	case *types.Interface:
		if u.NumMethods() > 0 && !isError(t) {
			return errors.New("interfaces other than any cannot be decoded")
		}
	case *types.Pointer:
		return checkJSONType(u.Elem())
	}
	return nil
}

func isError(t types.Type) bool { return types.Identical(t, types.Universe.Lookup("error").Type()) }

// isNamed reports whether t is the named type path.name (type arguments aside).
func isNamed(t types.Type, path, name string) bool {
	switch nt := t.(type) {
	case *types.Named:
		o := nt.Origin().Obj()
		return o.Pkg() != nil && o.Pkg().Path() == path && o.Name() == name
	case *types.Alias:
		return isNamed(types.Unalias(nt), path, name)
	}
	return false
}

func isPointerTo(t types.Type, path, name string) bool {
	p, ok := t.(*types.Pointer)
	return ok && isNamed(p.Elem(), path, name)
}

func typeName(t types.Type) string {
	return types.TypeString(t, func(p *types.Package) string { return p.Name() })
}

// typeDocs maps the position of every type, method and struct field name to its doc
// comment.
func typeDocs(p *packages.Package) map[token.Pos]string {
	docs := map[token.Pos]string{}
	for _, f := range p.Syntax {
		ast.Inspect(f, func(n ast.Node) bool {
			switch d := n.(type) {
			case *ast.GenDecl:
				for _, s := range d.Specs {
					if ts, ok := s.(*ast.TypeSpec); ok {
						doc := ts.Doc
						if doc == nil && len(d.Specs) == 1 {
							doc = d.Doc
						}
						docs[ts.Name.Pos()] = doc.Text()
					}
				}
			case *ast.FuncDecl:
				docs[d.Name.Pos()] = d.Doc.Text()
			case *ast.Field:
				text := d.Doc.Text()
				if text == "" {
					text = d.Comment.Text()
				}
				if len(d.Names) > 0 {
					for _, n := range d.Names {
						docs[n.Pos()] = text
					}
				} else {
					docs[d.Type.Pos()] = text
				}
			}
			return true
		})
	}
	return docs
}

func dirOf(file string) string {
	if i := strings.LastIndexByte(file, '/'); i >= 0 {
		return file[:i]
	}
	return "."
}

// posLess orders positions by file name, then offset.
func posLess(fset *token.FileSet, a, b token.Pos) bool {
	pa, pb := fset.Position(a), fset.Position(b)
	if pa.Filename != pb.Filename {
		return pa.Filename < pb.Filename
	}
	return pa.Offset < pb.Offset
}
