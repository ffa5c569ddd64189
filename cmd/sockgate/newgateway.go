package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"text/template"
	"unicode"

	"github.com/sockgate/sockgate/internal/tags"
)

func runNewGateway(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sockgate new gateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	namespace := fs.String("namespace", "", `the namespace (default "/" and the name in kebab case, "/widget" for Widget)`)
	events := fs.String("events", "ping", "comma-separated events the gateway handles, one stub method each")
	dir := fs.String("dir", ".", "the package directory to write to")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sockgate new gateway <Name> [flags]\n\nWrites <name>_gateway.go (the gateway type, its markers and a handler per event) and\n<name>_gateway_test.go (a test per event with gateway/gatewaytest), refusing to overwrite\neither, and prints the fx registration line.")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return errors.New("name one gateway, as in: sockgate new gateway Widget")
	}
	spec, err := newGatewaySpec(pos[0], *namespace, splitList(*events), *dir)
	if err != nil {
		return err
	}
	files, err := spec.render()
	if err != nil {
		return err
	}
	for _, f := range files {
		if _, err := os.Stat(f.path); err == nil {
			return fmt.Errorf("%s exists: not overwriting it", f.path)
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	for i, f := range files {
		// O_EXCL: a file that appeared since the check is not overwritten either.
		out, err := os.OpenFile(f.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			_, err = out.Write(f.data)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			for _, done := range files[:i] {
				_ = os.Remove(done.path)
			}
			return err
		}
		fmt.Fprintln(stdout, "wrote", f.path)
	}
	fmt.Fprintf(stdout, "\nRegister the gateway in your fx application:\n\n\tdi.Gateway(New%s),\n\n", spec.Type)
	fmt.Fprintf(stdout, "or without fx: srv.Register(New%s())\n", spec.Type)
	return nil
}

// gatewaySpec is what the scaffolding templates are filled with.
type gatewaySpec struct {
	Package   string
	Type      string // WidgetGateway
	Base      string // Widget
	Namespace string
	Events    []eventSpec
	dir, file string
}

type eventSpec struct {
	Name    string // the event
	Method  string // OnPing
	Body    string // WidgetPingRequest
	Reply   string // WidgetPingReply
	Done    string // the event sent back, ping-done
	Example string // a Go string literal for the test's message
}

func newGatewaySpec(name, namespace string, events []string, dir string) (*gatewaySpec, error) {
	if !token.IsIdentifier(name) || !token.IsExported(name) {
		return nil, fmt.Errorf("%q is not an exported Go identifier (a gateway name such as Widget)", name)
	}
	base := strings.TrimSuffix(name, "Gateway")
	if base == "" {
		return nil, errors.New(`name the gateway, as in "Widget"`)
	}
	if namespace == "" {
		namespace = "/" + kebab(base)
	}
	gt, err := tags.ParseGateway(reflect.StructTag(`namespace:` + strconv.Quote(namespace)))
	if err != nil {
		return nil, fmt.Errorf("-namespace: %w", err)
	}
	if len(events) == 0 {
		return nil, errors.New("-events: name at least one event")
	}
	pkg, err := packageName(dir)
	if err != nil {
		return nil, err
	}
	s := &gatewaySpec{Package: pkg, Type: base + "Gateway", Base: base, Namespace: gt.Namespace, dir: dir,
		file: snake(base) + "_gateway"}
	seen := map[string]bool{}
	for _, ev := range events {
		st, err := tags.ParseSubscribe(reflect.StructTag(`ws:` + strconv.Quote(ev)))
		if err != nil {
			return nil, fmt.Errorf("-events: %w", err)
		}
		method := tags.MethodName(st.Event)
		if method == "On" || seen[method] {
			return nil, fmt.Errorf("-events: %q gives no distinct Go method name; rename it", ev)
		}
		seen[method] = true
		words := strings.TrimPrefix(method, "On")
		s.Events = append(s.Events, eventSpec{Name: st.Event, Method: method,
			Body: base + words + "Request", Reply: base + words + "Reply", Done: st.Event + "-done",
			Example: strconv.Quote("hello")})
	}
	return s, nil
}

// packageName is the package of the Go files in dir, or a name made from the directory's
// when it has none.
func packageName(dir string) (string, error) {
	fset := token.NewFileSet()
	matches, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	if len(matches) > 0 { // the first file's package clause names the package
		f, err := parser.ParseFile(fset, matches[0], nil, parser.PackageClauseOnly)
		if err != nil {
			return "", err
		}
		return strings.TrimSuffix(f.Name.Name, "_test"), nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, r := range strings.ToLower(filepath.Base(abs)) {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) && b.Len() > 0) {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 || !token.IsIdentifier(b.String()) || token.Lookup(b.String()).IsKeyword() {
		return "", fmt.Errorf("cannot name a package after directory %q: create a Go file with its package clause first", abs)
	}
	return b.String(), nil
}

// kebab writes a Go name in kebab case: "ChatRoom" -> "chat-room", "HTTPServer" -> "http-server".
func kebab(s string) string { return words(s, '-') }

// snake writes a Go name in snake case: "ChatRoom" -> "chat_room".
func snake(s string) string { return words(s, '_') }

func words(s string, sep rune) string {
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		if unicode.IsUpper(r) && i > 0 && (unicode.IsLower(rs[i-1]) || i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1])) {
			b.WriteRune(sep)
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

func (s *gatewaySpec) render() ([]genFile, error) {
	var out []genFile
	for _, f := range []struct {
		suffix string
		tmpl   *template.Template
	}{{".go", gatewayTemplate}, {"_test.go", gatewayTestTemplate}} {
		var b bytes.Buffer
		if err := f.tmpl.Execute(&b, s); err != nil {
			return nil, err
		}
		src, err := format.Source(b.Bytes())
		if err != nil {
			return nil, fmt.Errorf("formatting %s%s: %w\n%s", s.file, f.suffix, err, b.Bytes())
		}
		out = append(out, genFile{filepath.Join(s.dir, s.file+f.suffix), src})
	}
	return out, nil
}

var gatewayTemplate = template.Must(template.New("gateway").Parse(`package {{.Package}}

import (
	"context"

	"github.com/sockgate/sockgate/decorators"
	"github.com/sockgate/sockgate/gateway"
)

// {{.Type}} serves namespace {{printf "%q" .Namespace}}.
//
// Each Subscribe field names an event; the method handling it is On followed by the event
// in PascalCase. Events the server sends are declared with Emits fields, for the client
// types and the AsyncAPI document that sockgate gen writes.
type {{.Type}} struct {
	decorators.Gateway ` + "`namespace:{{printf \"%q\" .Namespace}}`" + `
{{range .Events}}
	_ decorators.Subscribe ` + "`ws:{{printf \"%q\" .Name}}`" + `{{end}}
{{range .Events}}
	_ decorators.Emits[{{.Reply}}] ` + "`ws:{{printf \"%q\" .Done}}`" + `{{end}}
}

// New{{.Type}} is the gateway's constructor; give it the gateway's dependencies as
// parameters, and fx provides them.
func New{{.Type}}() *{{.Type}} { return &{{.Type}}{} }

{{range .Events}}
// {{.Body}} is the body of {{printf "%q" .Name}}. Its validate tags are checked before
// {{.Method}} runs: a client sending an invalid body gets an invalid_argument error.
type {{.Body}} struct {
	Text string ` + "`json:\"text\" validate:\"required,max=1000\"`" + `
}

// {{.Reply}} acknowledges {{printf "%q" .Name}}.
type {{.Reply}} struct {
	Text string ` + "`json:\"text\"`" + `
}

// {{.Method}} handles {{printf "%q" .Name}}. ctx ends when the client disconnects; the returned
// value is the acknowledgement, and an error returned (a *gateway.Error to choose the code)
// reaches the client instead. It also sends {{printf "%q" .Done}} to the sender.
func (g *{{$.Type}}) {{.Method}}(ctx context.Context, s *gateway.Socket, in {{.Body}}) ({{.Reply}}, error) {
	reply := {{.Reply}}{Text: in.Text}
	if err := s.Emit({{printf "%q" .Done}}, reply); err != nil {
		return {{.Reply}}{}, err
	}
	return reply, nil
}
{{end}}`))

var gatewayTestTemplate = template.Must(template.New("test").Parse(`package {{.Package}}

import (
	"strings"
	"testing"

	"github.com/sockgate/sockgate/gateway"
	"github.com/sockgate/sockgate/gateway/gatewaytest"
)

func new{{.Type}}Server(t *testing.T) *gatewaytest.Server {
	t.Helper()
	srv := gatewaytest.NewServer(t, gateway.Config{})
	if err := srv.Register(New{{.Type}}()); err != nil {
		t.Fatal(err)
	}
	return srv
}
{{range .Events}}
func Test{{$.Type}}{{.Method}}(t *testing.T) {
	c := new{{$.Type}}Server(t).Dial(t, {{printf "%q" $.Namespace}})

	var reply {{.Reply}}
	if err := c.EmitWithAck(t, {{printf "%q" .Name}}, {{.Body}}{Text: {{.Example}}}).Decode(0, &reply); err != nil {
		t.Fatal(err)
	}
	if reply.Text != {{.Example}} {
		t.Errorf("acknowledgement %+v, want the text back", reply)
	}
	var done {{.Reply}}
	if err := c.Expect(t, {{printf "%q" .Done}}).Args.Decode(0, &done); err != nil || done != reply {
		t.Errorf("%s: %+v, %v; want %+v", {{printf "%q" .Done}}, done, err, reply)
	}

	// An invalid body is refused with invalid_argument, naming the field.
	var refusal gateway.ErrorBody
	if err := c.EmitWithAck(t, {{printf "%q" .Name}}, {{.Body}}{}).Decode(0, &refusal); err != nil {
		t.Fatal(err)
	}
	if refusal.Code != gateway.CodeInvalidArgument || !strings.Contains(refusal.Message, "text") {
		t.Errorf("empty text: %+v, want invalid_argument about text", refusal)
	}
}
{{end}}`))
