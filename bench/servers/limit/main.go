// Command limit serves the benchmark's limit server (package bench/limit) at /socket.io/,
// with GET /__bench/mem, on a plain net/http server: the reference every sockgate figure
// is compared with.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/sockgate/sockgate/bench/benchsrv"
	"github.com/sockgate/sockgate/bench/limit"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3000", "listen address")
	readBuf := flag.Int("read-buffer", 0, "gorilla read buffer size (0: as sockgate)")
	writeBuf := flag.Int("write-buffer", 0, "gorilla write buffer size (0: as sockgate)")
	flag.Parse()
	srv := limit.New(limit.Config{ReadBufferSize: *readBuf, WriteBufferSize: *writeBuf})
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", srv)
	mux.Handle(benchsrv.MemPath, benchsrv.MemHandler(""))
	hs := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(os.Stderr, "limit bench server: %s, GOMAXPROCS=%d\n", runtime.Version(), runtime.GOMAXPROCS(0))
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- hs.ListenAndServe() }()
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case <-ctx.Done():
	}
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	_ = hs.Shutdown(sctx)
	srv.Close()
}
