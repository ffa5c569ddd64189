package main

import (
	"encoding/json"
	"fmt"
	"go/constant"
	"go/token"
	"go/types"
	"sort"
	"strconv"
	"strings"

	"github.com/sockgate/sockgate/internal/tags"
)

// nsGroup is the gateways of one namespace (or one pattern), which the client sees as one
// set of events.
type nsGroup struct {
	namespace string
	pattern   bool
	prefix    string // of the TypeScript interface names; "" for the main namespace
	gateways  []*gatewayDecl
}

// groupNamespaces groups the gateways of pkgs by namespace, in order of appearance, and
// names each group: the main namespace "/" gets the plain names, "/chat" the prefix
// "Chat", a pattern the gateway's type name without its "Gateway" suffix.
func groupNamespaces(gws []*gatewayDecl) []*nsGroup {
	var groups []*nsGroup
	byKey := map[string]*nsGroup{}
	for _, g := range gws {
		key := strconv.FormatBool(g.pattern) + g.namespace
		grp, ok := byKey[key]
		if !ok {
			grp = &nsGroup{namespace: g.namespace, pattern: g.pattern}
			byKey[key] = grp
			groups = append(groups, grp)
		}
		grp.gateways = append(grp.gateways, g)
	}
	// The main namespace first, then by name, patterns last: an order that does not
	// depend on the files the gateways are declared in.
	sort.SliceStable(groups, func(i, j int) bool {
		a, b := groups[i], groups[j]
		if a.pattern != b.pattern {
			return !a.pattern
		}
		return a.namespace < b.namespace
	})
	used := map[string]bool{}
	for _, grp := range groups {
		var p string
		switch {
		case grp.pattern:
			p = strings.TrimSuffix(grp.gateways[0].name, "Gateway")
			if p == "" {
				p = grp.gateways[0].name
			}
		case grp.namespace == "/":
			p = ""
		default:
			p = strings.TrimPrefix(decoratorsMethodWords(grp.namespace), "On")
		}
		base := p
		for i := 2; used[p]; i++ {
			p = base + itoa(i)
		}
		used[p] = true
		grp.prefix = p
	}
	return groups
}

// tsWriter writes TypeScript declarations.
type tsWriter struct {
	n       *namer
	docs    map[token.Pos]string
	usesBin bool
	indent  string // of the object type being written
	fset    *token.FileSet
}

func (w *tsWriter) typeOf(t types.Type) string {
	if name, ok := w.n.name(t); ok {
		return name
	}
	k, elem, st := classify(t)
	switch k {
	case kindString, kindTime:
		return "string"
	case kindInteger, kindNumber:
		return "number"
	case kindBoolean:
		return "boolean"
	case kindBinary:
		w.usesBin = true
		return "Binary"
	case kindArray:
		return wrapUnion(w.typeOf(elem)) + "[]"
	case kindMap:
		return "Record<string, " + w.typeOf(elem) + ">"
	case kindNullable:
		return w.typeOf(elem) + " | null"
	case kindStruct:
		return w.objectOf(st)
	}
	return "unknown"
}

func wrapUnion(s string) string {
	if strings.Contains(s, " | ") {
		return "(" + s + ")"
	}
	return s
}

// objectOf writes the members of a struct as a TypeScript object type.
func (w *tsWriter) objectOf(st *types.Struct) string {
	fields := jsonFields(st, w.docs)
	if len(fields) == 0 {
		return "Record<string, never>"
	}
	indent := w.indent
	w.indent += "  "
	defer func() { w.indent = indent }()
	var b strings.Builder
	b.WriteString("{\n")
	for _, f := range fields {
		writeDoc(&b, indent+"  ", f.doc)
		b.WriteString(indent + "  " + tsKey(f.name))
		if f.omitEmpty {
			b.WriteString("?")
		}
		b.WriteString(": ")
		t := w.typeOf(f.typ)
		if f.asString {
			t = "string"
		}
		b.WriteString(t)
		b.WriteString(";\n")
	}
	b.WriteString(indent + "}")
	return b.String()
}

func tsKey(name string) string {
	if isIdent(name) {
		return name
	}
	return tsQuote(name)
}

// tsQuote writes s as a TypeScript string literal: a JSON string, which is one (Go's
// quoting is not: its \U escapes are not JavaScript's).
func tsQuote(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

func isIdent(s string) bool {
	for i, r := range s {
		if !(r == '_' || r == '$' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

func writeDoc(b *strings.Builder, indent, doc string) {
	doc = strings.TrimSpace(doc)
	if doc == "" {
		return
	}
	doc = strings.ReplaceAll(doc, "*/", "* /")
	lines := strings.Split(doc, "\n")
	if len(lines) == 1 {
		b.WriteString(indent + "/** " + lines[0] + " */\n")
		return
	}
	b.WriteString(indent + "/**\n")
	for _, l := range lines {
		if l == "" {
			b.WriteString(indent + " *\n")
		} else {
			b.WriteString(indent + " * " + l + "\n")
		}
	}
	b.WriteString(indent + " */\n")
}

// jsReserved are the words a TypeScript parameter cannot be named.
var jsReserved = map[string]bool{
	"break": true, "case": true, "catch": true, "class": true, "const": true, "continue": true,
	"debugger": true, "default": true, "delete": true, "do": true, "else": true, "enum": true,
	"export": true, "extends": true, "false": true, "finally": true, "for": true, "function": true,
	"if": true, "import": true, "in": true, "instanceof": true, "new": true, "null": true,
	"return": true, "super": true, "switch": true, "this": true, "throw": true, "true": true,
	"try": true, "typeof": true, "var": true, "void": true, "while": true, "with": true,
	"yield": true, "let": true, "static": true, "implements": true, "interface": true,
	"package": true, "private": true, "protected": true, "public": true, "await": true,
	"arguments": true, "eval": true, "ack": true,
}

// eventParams writes the parameters of a client-to-server event: one per body parameter,
// named as in Go, then the acknowledgement callback when the handler returns a value.
func (w *tsWriter) eventParams(h *handlerDecl) string {
	var params []string
	n := 0
	for _, p := range h.params {
		switch p.kind {
		case paramArgs:
			return "...args: unknown[]"
		case paramBody:
			name := p.name
			if name == "" || name == "_" || jsReserved[name] || !isIdent(name) {
				name = "payload"
				if len(h.bodies()) > 1 {
					name = "arg" + itoa(n)
				}
			}
			params = append(params, name+": "+w.typeOf(p.typ))
			n++
		}
	}
	if h.value != nil && !h.returnsResponse() {
		params = append(params, "ack: (res: "+wrapUnion(w.typeOf(h.value))+" | ErrorBody) => void")
	}
	return strings.Join(params, ", ")
}

// writeTypeScript writes the TypeScript declarations of the events of gws and their
// payload types.
func writeTypeScript(pkg *pkgInfo, gws []*gatewayDecl, docs map[token.Pos]string, errorBody types.Type) []byte {
	w := &tsWriter{n: newNamer(pkg.types), docs: docs, fset: pkg.fset}
	var b strings.Builder
	groups := groupNamespaces(gws)
	fmt.Fprintf(&b, "// Code generated by sockgate gen from package %s. DO NOT EDIT.\n", pkg.path)
	b.WriteString(`//
// Event types for typed sockets of socket.io-client (4.x):
//
//   import { io, Socket } from "socket.io-client";
//   import type { ClientToServerEvents, ServerToClientEvents } from "./sockgate-events";
//   const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io();
//
// An event whose handler returns a value declares the acknowledgement callback, so that
// emitWithAck resolves to the value (or to an ErrorBody when the event failed). Every
// failed event is also reported with "exception".

`)
	// Error bodies first: every set of events refers to them.
	w.n.name(errorBody)
	for _, grp := range groups {
		where := fmt.Sprintf("namespace %q", grp.namespace)
		if grp.pattern {
			where = fmt.Sprintf("the namespaces matching %q", grp.namespace)
		}
		var names []string
		for _, g := range grp.gateways {
			names = append(names, g.name)
		}
		fmt.Fprintf(&b, "/** Events a client sends to %s (%s). */\n", where, strings.Join(names, ", "))
		fmt.Fprintf(&b, "export interface %sClientToServerEvents {\n", grp.prefix)
		for _, g := range grp.gateways {
			for _, h := range g.handlers {
				writeDoc(&b, "  ", h.doc)
				fmt.Fprintf(&b, "  %s: (%s) => void;\n", tsQuote(h.event), w.eventParams(h))
			}
		}
		b.WriteString("}\n\n")
		fmt.Fprintf(&b, "/** Events the server sends on %s (%s). */\n", where, strings.Join(names, ", "))
		fmt.Fprintf(&b, "export interface %sServerToClientEvents {\n", grp.prefix)
		type emitted struct {
			doc   []string
			types []string
		}
		byEvent := map[string]*emitted{}
		var order []string
		for _, g := range grp.gateways {
			for _, e := range g.emits {
				em, ok := byEvent[e.event]
				if !ok {
					em = &emitted{}
					byEvent[e.event] = em
					order = append(order, e.event)
				}
				if e.doc != "" {
					em.doc = append(em.doc, strings.TrimSpace(e.doc))
				}
				t := w.typeOf(e.payload)
				dup := false
				for _, prev := range em.types {
					dup = dup || prev == t
				}
				if !dup {
					em.types = append(em.types, t)
				}
			}
		}
		for _, ev := range order {
			em := byEvent[ev]
			writeDoc(&b, "  ", strings.Join(em.doc, "\n"))
			fmt.Fprintf(&b, "  %s: (payload: %s) => void;\n", tsQuote(ev), strings.Join(em.types, " | "))
		}
		if _, ok := byEvent["exception"]; !ok {
			b.WriteString("  /** A failed event: the error the server reports, with the event's name. */\n")
			b.WriteString("  exception: (err: ErrorBody) => void;\n")
		}
		b.WriteString("}\n\n")
	}
	if len(groups) == 1 && groups[0].prefix != "" {
		p := groups[0].prefix
		fmt.Fprintf(&b, "/** The events of the package's one namespace, %q. */\n", groups[0].namespace)
		fmt.Fprintf(&b, "export type ClientToServerEvents = %sClientToServerEvents;\n", p)
		fmt.Fprintf(&b, "/** The events of the package's one namespace, %q. */\n", groups[0].namespace)
		fmt.Fprintf(&b, "export type ServerToClientEvents = %sServerToClientEvents;\n\n", p)
	}
	// Declarations of the named types, in order of first use; declaring one may name more.
	for i := 0; i < len(w.n.order); i++ {
		nt := w.n.order[i].(*types.Named)
		name, _ := w.n.name(nt)
		writeDoc(&b, "", typeDoc(w.docs, nt))
		k, _, st := classify(nt)
		if k == kindStruct {
			fmt.Fprintf(&b, "export interface %s %s\n\n", name, w.objectOf(st))
			continue
		}
		if lits := constLiterals(w.fset, nt); len(lits) > 0 {
			fmt.Fprintf(&b, "export type %s = %s;\n\n", name, strings.Join(lits, " | "))
			continue
		}
		base := "number"
		switch k {
		case kindString:
			base = "string"
		case kindBoolean:
			base = "boolean"
		}
		fmt.Fprintf(&b, "export type %s = %s;\n\n", name, base)
	}
	if w.usesBin {
		b.WriteString("/**\n * A binary attachment: the server receives any of these; socket.io-client hands an\n" +
			" * ArrayBuffer to listeners in browsers and a Buffer in Node.\n */\n")
		b.WriteString("export type Binary = ArrayBuffer | ArrayBufferView | Blob;\n\n")
	}
	out := strings.TrimRight(b.String(), "\n") + "\n"
	return []byte(out)
}

// constLiterals lists the constants of named string type nt declared in its package, as
// TypeScript literals in source order: such a type's values are taken to be a closed set,
// as gateway.Code's are. Numeric types are not, since their constants are often units
// (time.Duration) rather than all the values.
func constLiterals(fset *token.FileSet, nt *types.Named) []string {
	if b, ok := nt.Underlying().(*types.Basic); !ok || b.Info()&types.IsString == 0 {
		return nil
	}
	pkg := nt.Obj().Pkg()
	var consts []*types.Const
	for _, name := range pkg.Scope().Names() {
		c, ok := pkg.Scope().Lookup(name).(*types.Const)
		if ok && types.Identical(c.Type(), nt) {
			consts = append(consts, c)
		}
	}
	sort.Slice(consts, func(i, j int) bool { return posLess(fset, consts[i].Pos(), consts[j].Pos()) })
	var out []string
	seen := map[string]bool{}
	for _, c := range consts {
		var lit string
		switch c.Val().Kind() {
		case constant.String:
			lit = tsQuote(constant.StringVal(c.Val()))
		case constant.Int, constant.Float:
			lit = c.Val().ExactString()
		case constant.Bool:
			lit = c.Val().String()
		default:
			continue
		}
		if !seen[lit] {
			seen[lit] = true
			out = append(out, lit)
		}
	}
	return out
}

// decoratorsMethodWords turns a namespace into PascalCase words, as tags.MethodName does with
// event names ("/chat" -> "OnChat").
func decoratorsMethodWords(s string) string { return tags.MethodName(s) }
