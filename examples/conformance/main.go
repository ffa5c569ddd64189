package main

import (
	"flag"
	"fmt"
	"log"
	"os"
)

func main() {
	protocol := flag.String("protocol", "socket.io", "suite to serve: engine.io or socket.io")
	addr := flag.String("addr", ":3000", "listen address")
	flag.Parse()

	var err error
	switch *protocol {
	case "engine.io":
		err = runEngineIO(*addr)
	case "socket.io":
		err = runSocketIO(*addr)
	default:
		fmt.Fprintf(os.Stderr, "unknown -protocol %q (want engine.io or socket.io)\n", *protocol)
		os.Exit(2)
	}
	if err != nil {
		log.Fatal(err)
	}
}
