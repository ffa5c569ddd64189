package metrics_test

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sockgate/sockgate/client"
	"github.com/sockgate/sockgate/gateway"
	"github.com/sockgate/sockgate/metrics"
)

// A server with metrics, served at /metrics next to the Socket.IO endpoint.
func Example() {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Config{})
	if err != nil {
		log.Fatal(err)
	}
	srv, err := gateway.NewServer(gateway.Config{}, gateway.WithObserver(m))
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", srv)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))

	hs := httptest.NewServer(mux)
	defer hs.Close()
	defer srv.Close()
	s, err := client.Dial(context.Background(), hs.URL, client.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	resp, err := http.Get(hs.URL + "/metrics")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), "sockgate_sockets_connected{") {
			fmt.Println(lines.Text())
		}
	}
	// Output: sockgate_sockets_connected{namespace="/"} 1
}
