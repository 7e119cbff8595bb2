//go:build unix

package diagnose_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/internal/intermediary"
	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/report/diagnose"
	"github.com/grpcpulse/grpcpulse/report/record"
	"github.com/grpcpulse/grpcpulse/runner/conn"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// probe runs the diagnose probe against addr for d, as `grpcpulse
// diagnose` does, and returns its checks by id.
func probe(t *testing.T, addr string, d time.Duration) (*report.Probe, map[string]report.Check) {
	t.Helper()
	target := plan.Target{Addr: addr, Plaintext: true, ConnectTimeout: 10 * time.Second}
	rec := record.New(event.Unary, 1)
	rec.Begin(time.Now())
	res, err := conn.Probe(context.Background(), conn.ProbeOptions{Target: target, Duration: d}, rec)
	rec.End(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sum := rec.Summary(record.Meta{Kind: event.Unary, Options: plan.Options{Target: target}})
	sum.Findings = diagnose.Findings(sum)
	p := report.NewProbe(sum, res)
	p.Checks = diagnose.ProbeChecks(p, d)
	checks := map[string]report.Check{}
	for _, c := range p.Checks {
		checks[c.ID] = c
	}
	return p, checks
}

func wantCheck(t *testing.T, checks map[string]report.Check, id string, result report.CheckResult, texts ...string) {
	t.Helper()
	c := checks[id]
	if c.Result != result {
		t.Errorf("check %s = %s %q (%s), want %s", id, c.Result, c.Title, c.Detail, result)
		return
	}
	for _, s := range texts {
		if !strings.Contains(c.Title, s) {
			t.Errorf("check %s title %q lacks %q", id, c.Title, s)
		}
	}
}

// Through nginx: the probe's idle connection made a call, so nginx's
// keepalive_timeout closes it; the held stream, silent, is reset at
// grpc_read_timeout; and the checks say they saw nginx.
func TestProbeThroughNginx(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	addr := intermediary.StartNginx(t, srv.Addr(), intermediary.NginxConfig{KeepaliveTimeout: 500 * time.Millisecond,
		GRPCReadTimeout: 700 * time.Millisecond})
	_, checks := probe(t, addr, 2*time.Second)
	wantCheck(t, checks, "peer", report.CheckSeen, "(nginx/")
	wantCheck(t, checks, "idle_close", report.CheckSeen, "The proxy (nginx/")
	wantSilence(t, checks["idle_close"].Title, 500*time.Millisecond)
	wantCheck(t, checks, "stream_cut", report.CheckSeen, "RST_STREAM INTERNAL_ERROR")
}

// Through haproxy mode tcp: bare closes after the timer's silence, timed
// from the silence, not from the lifetime of a transport our end cut.
func TestProbeThroughHAProxyTCP(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	addr := intermediary.StartHAProxy(t, srv.Addr(), intermediary.HAProxyConfig{TimeoutClient: 500 * time.Millisecond, TimeoutServer: 500 * time.Millisecond})
	_, checks := probe(t, addr, 2*time.Second)
	wantCheck(t, checks, "idle_close", report.CheckSeen, "closed without GOAWAY after ~")
	wantSilence(t, checks["idle_close"].Title, 500*time.Millisecond)
	if c := checks["idle_close"]; !strings.Contains(c.Detail, "keepalive cannot beat it") {
		t.Errorf("idle_close detail %q", c.Detail)
	}
	wantCheck(t, checks, "stream_cut", report.CheckSeen, "connection closed (EOF)")
}

// wantSilence checks the "after ~X" estimate of a title within -20%/+30% of want.
func wantSilence(t *testing.T, title string, want time.Duration) {
	t.Helper()
	_, rest, _ := strings.Cut(title, "after ~")
	est, _, _ := strings.Cut(rest, " ")
	d, err := time.ParseDuration(est)
	if err != nil || d < want*8/10 || d > want*13/10 {
		t.Errorf("estimate %q in %q, want ~%s", est, title, want)
	}
}
