package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
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
	goCode   bool   // write zz_sockgate.go
	ts       string // TypeScript file, relative to the package directory; "-" for none
	asyncapi string // AsyncAPI file, relative to the package directory; "-" for none
	version  string // info.version of the AsyncAPI document
}

func runGen(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sockgate gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o genOptions
	fs.BoolVar(&o.goCode, "go", true, "write "+generatedGoFile+", the typed handler specs the runtime uses instead of reflection")
	fs.StringVar(&o.ts, "ts", "sockgate-events.ts", "TypeScript event types to write, relative to the package directory (- for none)")
	fs.StringVar(&o.asyncapi, "asyncapi", "asyncapi.json", "AsyncAPI 3.0 document to write, relative to the package directory (- for none)")
	fs.StringVar(&o.version, "version", "1.0.0", "the version in the AsyncAPI document's info")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sockgate gen [flags] [packages]\n\nReads the gateways of the packages (default: the one in the current directory) and writes,\nin each package's directory, the typed handler specs, the TypeScript event types and\nthe AsyncAPI document.")
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
	pkgs, err := loadPackages(dir, patterns...)
	if err != nil {
		return nil, err
	}
	var out []genFile
	var errs []error
	for _, p := range pkgs {
		if len(p.gateways) == 0 {
			errs = append(errs, fmt.Errorf("%s: no gateway types (structs embedding decorators.Gateway)", p.path))
			continue
		}
		errorBody, ok := errorBodyOf(p.types)
		if !ok {
			if errorBody, err = loadErrorBody(dir); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		if o.goCode {
			data, err := writeGo(p)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			out = append(out, genFile{filepath.Join(p.dir, generatedGoFile), data})
		}
		if o.ts != "-" {
			out = append(out, genFile{outPath(p.dir, o.ts), writeTypeScript(p, p.gateways, p.docs, errorBody)})
		}
		if o.asyncapi != "-" {
			data, err := writeAsyncAPI(p, p.gateways, p.docs, errorBody, o.version)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			out = append(out, genFile{outPath(p.dir, o.asyncapi), data})
		}
	}
	return out, errors.Join(errs...)
}

// loadErrorBody loads gateway.ErrorBody for a package that does not import the gateway
// package.
func loadErrorBody(dir string) (types.Type, error) {
	pkgs, err := packages.Load(&packages.Config{Mode: packages.NeedName | packages.NeedTypes, Dir: dir}, gatewayPath)
	if err != nil {
		return nil, err
	}
	if len(pkgs) == 1 && pkgs[0].Types != nil {
		if t, ok := errorBodyOf(pkgs[0].Types); ok {
			return t, nil
		}
	}
	return nil, fmt.Errorf("cannot load %s.ErrorBody", gatewayPath)
}

// errorBodyOf finds gateway.ErrorBody among the packages pkg imports, directly or not.
func errorBodyOf(pkg *types.Package) (types.Type, bool) {
	seen := map[*types.Package]bool{}
	var find func(p *types.Package) (types.Type, bool)
	find = func(p *types.Package) (types.Type, bool) {
		if seen[p] {
			return nil, false
		}
		seen[p] = true
		if p.Path() == gatewayPath {
			if tn, ok := p.Scope().Lookup("ErrorBody").(*types.TypeName); ok {
				return tn.Type(), true
			}
		}
		for _, imp := range p.Imports() {
			if t, ok := find(imp); ok {
				return t, true
			}
		}
		return nil, false
	}
	return find(pkg)
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
