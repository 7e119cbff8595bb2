package report_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/keepalive"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/report/diagnose"
	"github.com/grpcpulse/grpcpulse/report/record"
	"github.com/grpcpulse/grpcpulse/report/text"
	"github.com/grpcpulse/grpcpulse/runner/conn"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// realProbe probes a real server that closes idle connections, composed as
// `grpcpulse diagnose` composes it.
func realProbe(t *testing.T) *report.Probe {
	t.Helper()
	srv := testserver.Start(t, testserver.WithKeepaliveParams(keepalive.ServerParameters{MaxConnectionIdle: 300 * time.Millisecond}))
	target := plan.Target{Addr: srv.Addr(), Plaintext: true, ConnectTimeout: 10 * time.Second}
	const duration = 1500 * time.Millisecond
	rec := record.New(event.Unary, 1)
	res, err := conn.Probe(context.Background(), conn.ProbeOptions{Target: target, Duration: duration, BusyInterval: 100 * time.Millisecond}, rec)
	if err != nil {
		t.Fatal(err)
	}
	s := rec.Summary(record.Meta{Kind: event.Unary, Options: plan.Options{Target: target}, Notes: target.Notes(), Tool: "test", GRPCVersion: "test"})
	s.Findings = diagnose.Findings(s)
	p := report.NewProbe(s, res)
	p.Checks = diagnose.ProbeChecks(p, duration)
	return p
}

func renderProbe(t *testing.T, p *report.Probe) string {
	t.Helper()
	var b bytes.Buffer
	if err := text.RenderProbe(&b, p, text.PlainStyles(), 100); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// A saved `diagnose --format json` reads back into a Probe that renders and
// writes exactly as the original.
func TestProbeJSONRoundTrip(t *testing.T) {
	t.Parallel()
	p := realProbe(t)
	var js bytes.Buffer
	if err := report.WriteProbeJSON(&js, p); err != nil {
		t.Fatal(err)
	}
	back, err := report.ReadProbeJSON(bytes.NewReader(js.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	want, got := renderProbe(t, p), renderProbe(t, back)
	if got != want {
		t.Errorf("read-back probe renders differently:\n--- original\n%s\n--- read back\n%s", want, got)
	}
	if !strings.Contains(want, "Connections") {
		t.Errorf("the probe's text has no Connections section, so the round trip proves little:\n%s", want)
	}
	var again bytes.Buffer
	if err := report.WriteProbeJSON(&again, back); err != nil {
		t.Fatal(err)
	}
	if again.String() != js.String() {
		t.Errorf("read-back probe writes different JSON:\n--- original\n%s\n--- read back\n%s", js.String(), again.String())
	}
}

func TestReadProbeJSONRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		wantErr error
		wantMsg string
	}{
		{"a run report", `{"schema": "grpcpulse.report/v1", "method": "m"}`, report.ErrSchema, `"grpcpulse.report/v1" (this grpcpulse reads grpcpulse.diagnose/v1)`},
		{"newer schema", `{"schema": "grpcpulse.diagnose/v2"}`, report.ErrSchema, "newer than this grpcpulse reads"},
		{"no schema", `{"target": "x"}`, report.ErrNotReport, `no "schema"`},
		{"truncated", `{"schema": "grpcpulse.diagnose/v1", "checks": [`, report.ErrNotReport, "truncated"},
		{"not JSON", "Checks\n", report.ErrNotReport, "not JSON"},
		{"JSON array", `[{"schema": "grpcpulse.diagnose/v1"}]`, report.ErrNotReport, ""},
		{"bad field", `{"schema": "grpcpulse.diagnose/v1", "duration_ns": "long"}`, nil, "reading grpcpulse.diagnose/v1 probe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := report.ReadProbeJSON(strings.NewReader(tt.in))
			if err == nil {
				t.Fatalf("ReadProbeJSON accepted it: %+v", p)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v is not %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
		})
	}
}

// A crafted probe's escape sequences and credentials reach no renderer.
func TestReadProbeJSONSanitizes(t *testing.T) {
	t.Parallel()
	in := `{"schema": "grpcpulse.diagnose/v1", "target": "user:s3cr3tpass@127.0.0.1:1",
		"options": {"addr": "user:s3cr3tpass@127.0.0.1:1"},
		"checks": [{"id": "x", "result": "pass", "title": "boom\u001b[2J", "detail": "a\rb"}]}`
	p, err := report.ReadProbeJSON(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(p.Target, "s3cr3tpass") || strings.Contains(p.Options.Addr, "s3cr3tpass") {
		t.Errorf("credentials kept: %q, %q", p.Target, p.Options.Addr)
	}
	if c := p.Checks[0]; strings.ContainsAny(c.Title+c.Detail, "\x1b\r") {
		t.Errorf("control characters kept: %q, %q", c.Title, c.Detail)
	}
}
