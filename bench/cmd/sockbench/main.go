// Command sockbench runs the sockgate benchmarks.
//
//	sockbench run [flags]   start each server in turn, run every scenario with the
//	                        generator, repeat, and write the report (see package runner)
//	sockbench gen [flags]   run one scenario against a running server (see package gen)
//	sockbench report [-results file] [-out file] [-notes file]
//	                        rewrite the report from the last run of a results file
//
// Run "sockbench run -h" or "sockbench gen -h" for the flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/sockgate/sockgate/bench/gen"
	"github.com/sockgate/sockgate/bench/runner"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	var err error
	switch os.Args[1] {
	case "gen":
		var o gen.Options
		o, err = gen.ParseArgs(os.Args[2:])
		if err == nil {
			err = gen.Run(ctx, o, os.Stdout, os.Stderr)
		}
	case "run":
		var o runner.Options
		o, err = runner.ParseArgs(os.Args[2:])
		if err == nil {
			err = runner.Run(ctx, o, os.Stderr)
		}
	case "report":
		fs := flag.NewFlagSet("report", flag.ContinueOnError)
		def := runner.DefaultOptions(false)
		results := fs.String("results", def.Results, "JSON-lines results file")
		out := fs.String("out", def.Out, "Markdown report to write")
		notes := fs.String("notes", def.Notes, "Markdown notes included in the report")
		if err = fs.Parse(os.Args[2:]); err == nil {
			err = runner.WriteReport(*results, *out, *notes)
		}
	default:
		usage()
	}
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sockbench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: sockbench run [flags] | sockbench gen [flags] | sockbench report [flags]")
	os.Exit(2)
}
