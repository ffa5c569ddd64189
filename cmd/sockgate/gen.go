package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/token"
	"go/types"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/tools/go/packages"
)

// generatedGoFile is the name of the generated Go file in each package.
const generatedGoFile = "zz_sockgate.go"

// genOptions are the flags of sockgate gen.
type genOptions struct {
	ts       string // TypeScript file, relative to the package directory; "-" for none
	asyncapi string // AsyncAPI file, relative to the package directory; "-" for none
	version  string // info.version of the AsyncAPI document
}

func runGen(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sockgate gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o genOptions
	fs.StringVar(&o.ts, "ts", "sockgate-events.ts", "TypeScript event types to write, relative to the package directory (- for none)")
	fs.StringVar(&o.asyncapi, "asyncapi", "asyncapi.json", "AsyncAPI 3.0 document to write, relative to the package directory (- for none)")
	fs.StringVar(&o.version, "version", "1.0.0", "the version in the AsyncAPI document's info")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sockgate gen [flags] [packages]\n\nReads the gateways of the packages (default: the one in the current directory) and writes,\nin each package's directory, the TypeScript event types and the AsyncAPI document.")
		fs.PrintDefaults()
	}
	patterns, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(patterns) == 0 {
		patterns = []string{"."}
	}
	files, err := generate(".", o, patterns...)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := writeIfChanged(f.path, f.data); err != nil {
			return err
		}
	}
	return nil
}

// genFile is one output of the generator.
type genFile struct {
	path string
	data []byte
}

// generate reads the packages matching patterns (relative to dir) and returns the files
// to write. A package without gateways gets no files.
func generate(dir string, o genOptions, patterns ...string) ([]genFile, error) {
	pkgs, deps, err := load(dir, patterns...)
	if err != nil {
		return nil, err
	}
	errorBody := deps.errorBody
	var out []genFile
	var errs []error
	for _, p := range pkgs {
		if len(p.gateways) == 0 {
			errs = append(errs, fmt.Errorf("%s: no gateway types (structs embedding decorators.Gateway)", p.path))
			continue
		}
		if o.ts != "-" {
			out = append(out, genFile{outPath(p.dir, o.ts), writeTypeScript(p, p.gateways, deps.docs, errorBody)})
		}
		if o.asyncapi != "-" {
			data, err := writeAsyncAPI(p, p.gateways, deps.docs, errorBody, o.version)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			out = append(out, genFile{outPath(p.dir, o.asyncapi), data})
		}
	}
	return out, errors.Join(errs...)
}

// loaded is what the generator takes from outside the packages it reads.
type loaded struct {
	errorBody types.Type // gateway.ErrorBody
	docs      map[token.Pos]string
}

func load(dir string, patterns ...string) ([]*pkgInfo, loaded, error) {
	pkgs, all, err := loadPackages(dir, patterns...)
	if err != nil {
		return nil, loaded{}, err
	}
	var l loaded
	l.docs = map[token.Pos]string{}
	packages.Visit(all, nil, func(p *packages.Package) {
		for k, v := range typeDocs(p) {
			l.docs[k] = v
		}
		if p.PkgPath == gatewayPath && p.Types != nil {
			if tn, ok := p.Types.Scope().Lookup("ErrorBody").(*types.TypeName); ok {
				l.errorBody = tn.Type()
			}
		}
	})
	if l.errorBody == nil {
		return nil, loaded{}, errors.New("the gateway package was not loaded")
	}
	return pkgs, l, nil
}

// writeIfChanged writes data to path unless the file holds it already, so that a
// generation that changes nothing leaves modification times alone.
func writeIfChanged(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// outPath resolves an output file name against the package directory.
func outPath(dir, name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(dir, name)
}
