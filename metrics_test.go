package main

import (
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
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
		"--metrics-addr", "127.0.0.1:0", "--metrics-linger", "0", "--format", "json", "-o", t.TempDir()+"/r.json")
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

// After the report is written, /metrics goes on serving the final figures
// for --metrics-linger, so that a last scrape sees the totals; Ctrl-C ends
// the wait, and the run's own exit code stands.
func TestMetricsAfterRun(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	out := t.TempDir() + "/r.json"
	c, lines := startGrpcpulse(t, "run", "--plaintext", srv.Addr(), "grpcpulse.test.v1.Pulse/Unary", "-n", "50", "-c", "1",
		"--metrics-addr", "127.0.0.1:0", "--metrics-linger", "10m", "--format", "json", "-o", out)
	seen := waitLine(t, lines, "metrics stay on http://")
	last := seen[len(seen)-1]
	url := strings.TrimSuffix(strings.TrimPrefix(last, "metrics stay on "), " for 10m0s (--metrics-linger)")
	go func() {
		for range lines { // keep the pipe drained
		}
	}()
	if _, err := os.Stat(out); err != nil {
		t.Errorf("the report is not written before the linger: %v", err)
	}
	body := scrape(t, url)
	m := `method="grpcpulse.test.v1.Pulse/Unary"`
	for _, want := range []string{
		`grpcpulse_calls_total{code="OK",` + m + `} 50`,
		`grpcpulse_calls_in_flight{` + m + `} 0`,
		`grpcpulse_call_latency_seconds_count{` + m + `} 50`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("no line %q in\n%s", want, body)
		}
	}
	if err := c.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, c); code != 0 {
		t.Errorf("exit %d after an interrupt during the linger, want the run's 0", code)
	}
}

// A weighted mix labels its figures by method, each of its methods, never
// by the list of them; its in-flight gauge counts them all.
func TestMetricsOfMix(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	dir := t.TempDir()
	scenario := dir + "/mix.yaml"
	if err := os.WriteFile(scenario, []byte(`plaintext: true
concurrency: 1
total: 40
seed: 7
calls:
  - method: grpcpulse.test.v1.Pulse/Unary
    weight: 3
  - method: grpcpulse.test.v1.Pulse/ServerStream
    weight: 1
`), 0o644); err != nil {
		t.Fatal(err)
	}
	c, lines := startGrpcpulse(t, "run", "-f", scenario, srv.Addr(),
		"--metrics-addr", "127.0.0.1:0", "--metrics-linger", "10m", "--format", "json", "-o", dir+"/r.json")
	seen := waitLine(t, lines, "metrics stay on http://")
	url := strings.TrimSuffix(strings.TrimPrefix(seen[len(seen)-1], "metrics stay on "), " for 10m0s (--metrics-linger)")
	go func() {
		for range lines {
		}
	}()
	body := scrape(t, url)
	if err := c.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, c); code != 0 {
		t.Errorf("exit %d", code)
	}
	if strings.Contains(body, `Unary,`) {
		t.Errorf("a label lists the mix's methods:\n%s", body)
	}
	var total int
	for _, method := range []string{"Unary", "ServerStream"} {
		re := regexp.MustCompile(`(?m)^grpcpulse_calls_total\{code="OK",method="grpcpulse.test.v1.Pulse/` + method + `"\} (\d+)$`)
		got := re.FindStringSubmatch(body)
		if got == nil {
			t.Errorf("no calls of %s in\n%s", method, body)
			continue
		}
		n, _ := strconv.Atoi(got[1])
		total += n
		if !strings.Contains(body, `grpcpulse_call_latency_seconds_count{method="grpcpulse.test.v1.Pulse/`+method+`"} `+got[1]+"\n") {
			t.Errorf("no latency histogram of %s's %s calls in\n%s", method, got[1], body)
		}
	}
	if total != 40 {
		t.Errorf("%d calls by method, want 40", total)
	}
	if !strings.Contains(body, `grpcpulse_calls_in_flight{method=""} 0`+"\n") {
		t.Errorf("no in-flight gauge of the whole mix in\n%s", body)
	}
}
