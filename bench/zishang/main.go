// Command zishang is the benchmark's server built on github.com/zishang520/socket.io v3,
// the maintained Go port of socket.io: what a Go user would pick instead of sockgate. It
// lives in its own Go module so that sockgate's module does not depend on it.
//
// It serves the scenario handlers every benchmark server has, written the way the port's
// README writes handlers:
//
//   - on connection, the socket joins the rooms listed in the handshake query "rooms";
//   - "echo" acknowledges with its argument;
//   - "bcast" (room, payload) emits "m" with the payload to the room, except the sender.
//
// It uses the protocol settings of the other servers (pingInterval 25 s, pingTimeout 20 s,
// maxHttpBufferSize 1 MB, no compression) and serves GET /__bench/mem (full collection,
// then the memory counters under the names the other servers use).
//
// Usage: zishang -addr 127.0.0.1:3000
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/zishang520/socket.io/servers/socket/v3"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// memPath is the admin endpoint every benchmark server answers.
const memPath = "/__bench/mem"

// newServer returns the Socket.IO server with the scenario handlers.
func newServer() *socket.Server {
	opts := socket.DefaultServerOptions()
	opts.SetPingInterval(25 * time.Second)
	opts.SetPingTimeout(20 * time.Second)
	opts.SetMaxHttpBufferSize(1e6)
	opts.SetPerMessageDeflate(nil)
	opts.SetHttpCompression(nil)
	opts.SetServeClient(false)
	io := socket.NewServer(nil, opts)
	_ = io.On("connection", func(args ...any) {
		s, ok := args[0].(*socket.Socket)
		if !ok {
			return
		}
		if rooms := queryValue(s.Handshake().Query, "rooms"); rooms != "" {
			for _, r := range strings.Split(rooms, ",") {
				s.Join(socket.Room(r))
			}
		}
		_ = s.On("echo", func(args ...any) {
			if len(args) < 2 {
				return
			}
			if ack, ok := args[len(args)-1].(socket.Ack); ok {
				ack(args[:1], nil)
			}
		})
		_ = s.On("bcast", func(args ...any) {
			if len(args) < 2 {
				return
			}
			room, ok := args[0].(string)
			if !ok {
				return
			}
			_ = s.To(socket.Room(room)).Emit("m", args[1])
		})
	})
	return io
}

// queryValue reads one handshake query parameter: the port keeps each as a string or a
// list of strings.
func queryValue(q types.ParsedUrlQuery, name string) string {
	switch v := q[name].(type) {
	case string:
		return v
	case []string:
		if len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// memHandler runs a full collection and returns the memory counters as JSON.
func memHandler() http.Handler {
	var mu sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		runtime.GC()
		debug.FreeOSMemory()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]float64{
			"heap":         float64(ms.HeapAlloc),
			"heap_inuse":   float64(ms.HeapInuse),
			"heap_objects": float64(ms.HeapObjects),
			"stack":        float64(ms.StackInuse),
			"sys":          float64(ms.Sys),
			"goroutines":   float64(runtime.NumGoroutine()),
			"gomaxprocs":   float64(runtime.GOMAXPROCS(0)),
		})
	})
}

// handler is the whole HTTP surface: Socket.IO at /socket.io/ and the admin endpoint.
func handler(io *socket.Server) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", io.ServeHandler(nil))
	mux.Handle(memPath, memHandler())
	return mux
}

func main() {
	addr := flag.String("addr", "127.0.0.1:3000", "listen address")
	flag.Parse()
	io := newServer()
	l, err := listen(*addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	hs := &http.Server{Handler: handler(io), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(os.Stderr, "zishang520/socket.io bench server on %s: %s, GOMAXPROCS=%d\n", l.Addr(), runtime.Version(), runtime.GOMAXPROCS(0))
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
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
	io.Close(nil)
}

// listen opens the listening socket; net.Listen uses the kernel's somaxconn as its
// backlog, as the other Go servers do.
func listen(addr string) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("zishang: %w", err)
	}
	return l, nil
}
