package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "sockgate:", err)
		}
		os.Exit(2)
	}
}

const usage = `usage:
  sockgate gen [-go=false] [-ts file] [-asyncapi file] [-version v] [packages]
  sockgate new gateway <Name> [-namespace /x] [-events a,b] [-dir dir]
`

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command")
	}
	switch args[0] {
	case "gen":
		return runGen(args[1:], stdout, stderr)
	case "new":
		if len(args) < 2 || args[1] != "gateway" {
			fmt.Fprint(stderr, usage)
			return errors.New(`"new" makes a gateway: sockgate new gateway <Name>`)
		}
		return runNewGateway(args[2:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// parseInterspersed parses flags that may come before or after the positional
// arguments, as in "new gateway Widget -namespace /w".
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
