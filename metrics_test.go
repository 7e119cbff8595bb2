package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
)

// --metrics-addr serves the run's figures during the run: scraped while the
// 101st call is held by the server, with -c 1 exactly 100 calls are done
// and one is in flight.
func TestMetricsDuringRun(t *testing.T) {
	t.Parallel()
	reached, release := make(chan struct{}), make(chan struct{})
	srv := testserver.Start(t, testserver.AfterCalls(101, func(*testserver.Server) {
		close(reached)
		<-release
	}))
	c, lines := startGrpcpulse(t, "run", "--plaintext", srv.Addr(), "grpcpulse.test.v1.Pulse/Unary", "-n", "150", "-c", "1",
		"--metrics-addr", "127.0.0.1:0", "--format", "json", "-o", t.TempDir()+"/r.json")
	seen := waitLine(t, lines, "metrics on http://")
	url := strings.TrimPrefix(seen[len(seen)-1], "metrics on ")
	go func() {
		for range lines { // keep the pipe drained
		}
	}()
	<-reached
	body := scrape(t, url)
	close(release)
	if code := exitCode(t, c); code != 0 {
		t.Errorf("exit %d", code)
	}
	m := `method="grpcpulse.test.v1.Pulse/Unary"`
	for _, want := range []string{
		`grpcpulse_calls_total{code="OK",` + m + `} 100`,
		`grpcpulse_calls_in_flight{` + m + `} 1`,
		`grpcpulse_call_latency_seconds_count{` + m + `} 100`,
		`grpcpulse_call_latency_seconds_bucket{` + m + `,le="+Inf"} 100`,
		`grpcpulse_call_service_time_seconds_count{` + m + `} 100`,
		`grpcpulse_stream_messages_total{direction="sent",` + m + `} 100`,
		`grpcpulse_stream_messages_total{direction="received",` + m + `} 100`,
		`grpcpulse_connects_total 1`,
		`grpcpulse_reconnects_total 0`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("no line %q in\n%s", want, body)
		}
	}
	if !regexp.MustCompile(`(?m)^# TYPE grpcpulse_call_latency_seconds histogram$`).MatchString(body) {
		t.Errorf("latency is not a histogram:\n%s", body)
	}
	if !regexp.MustCompile(`(?m)^grpcpulse_run_elapsed_seconds \d`).MatchString(body) {
		t.Errorf("no elapsed time:\n%s", body)
	}
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", url, resp.Status, err)
	}
	return string(b)
}
