package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/report/metrics"
)

// metricsServer serves a run's Prometheus metrics at /metrics.
type metricsServer struct {
	srv  *http.Server
	addr net.Addr
	done chan error
}

// serveMetrics listens on addr (--metrics-addr) and serves c there,
// saying where on errOut. Close stops it.
func serveMetrics(addr string, c *metrics.Collector, errOut io.Writer) (*metricsServer, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(c); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	m := &metricsServer{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, addr: ln.Addr(), done: make(chan error, 1)}
	go func() { m.done <- m.srv.Serve(ln) }()
	fmt.Fprintf(errOut, "metrics on http://%s/metrics\n", ln.Addr())
	return m, nil
}

// checkMetricsAddr refuses a --metrics-addr that cannot be listened on,
// before anything connects: it must be HOST:PORT or :PORT with a port from 0
// to 65535, not a URL.
func checkMetricsAddr(addr string) error {
	if addr == "" {
		return nil
	}
	bad := func(why string) error {
		return cli.UsageErrorf("--metrics-addr %q: %s; give HOST:PORT (127.0.0.1:9464), or :PORT to listen on every interface", addr, why)
	}
	if strings.Contains(addr, "://") {
		return bad("a URL is not an address to listen on")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return bad("no port")
	}
	if strings.ContainsAny(host, "/ ") {
		return bad("not a host name")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return bad("the port must be a number from 0 to 65535")
	}
	return nil
}

// Close stops serving, after linger (the run's final figures stay there
// for a last scrape) unless ctx ends first (Ctrl-C), letting scrapes under
// way finish for a moment.
func (m *metricsServer) Close(ctx context.Context, linger time.Duration, errOut io.Writer) {
	if linger > 0 && ctx.Err() == nil {
		fmt.Fprintf(errOut, "metrics stay on http://%s/metrics for %s (--metrics-linger)\n", m.addr, linger)
		t := time.NewTimer(linger)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := m.srv.Shutdown(ctx); err != nil {
		m.srv.Close()
	}
	if err := <-m.done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		_ = err // the run's outcome matters more than the metrics endpoint's
	}
}

// soFar returns the run's Summary so far once measurement has begun, nil
// before.
func soFar(begun <-chan struct{}, summary func() *report.Summary) func() *report.Summary {
	return func() *report.Summary {
		select {
		case <-begun:
			return summary()
		default:
			return nil
		}
	}
}
