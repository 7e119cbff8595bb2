package record

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/report/gate"
	"github.com/grpcpulse/grpcpulse/report/merge"
	"github.com/grpcpulse/grpcpulse/report/text"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

func TestRenderMarkdownEmptyRun(t *testing.T) {
	r := newTestRecorder(event.Unary, 1)
	r.Begin(t0)
	r.End(t0)
	var b bytes.Buffer
	if err := text.RenderMarkdown(&b, summarize(r, Meta{Method: "a.B/C", Options: plan.Options{Target: plan.Target{Addr: "x:1"}}})); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "Percentiles") || !strings.Contains(b.String(), "| 0 | 0 | 0 | 0% |") {
		t.Errorf("empty run:\n%s", b.String())
	}
}

func TestRenderTextEmptyRun(t *testing.T) {
	r := newTestRecorder(event.Unary, 1)
	r.Begin(t0)
	r.End(t0)
	var b bytes.Buffer
	if err := text.Render(&b, summarize(r, Meta{Method: "a.B/C", Options: plan.Options{Target: plan.Target{Addr: "x:1"}}}), text.PlainStyles(), 0); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Calls        0 · ok 0 · errors 0 (0%)") {
		t.Errorf("empty run:\n%s", b.String())
	}
}

// TestNoSecretInReports: no value of a secret-looking or listed header
// reaches any report this package writes, merged or compared.
func TestNoSecretInReports(t *testing.T) {
	r, meta := syntheticRun(event.Unary)
	meta.Options.Metadata = plan.Metadata{
		Headers: []string{
			"authorization: Bearer SECRET-1", "Cookie: session=SECRET-2", "x-session-token: SECRET-3",
			"x-api-key: SECRET-4", "x-custom: SECRET-5", "X-Plain: visible",
		},
		ReflectHeaders: []string{"X-CUSTOM: SECRET-6", "proxy-authorization: Basic SECRET-7"},
		Redact:         []string{"X-Custom"},
	}
	s := summarize(r, meta)
	m, err := merge.Reports([]*report.Summary{s, startedLater(jsonRoundTrip(t, s), time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := gate.Compare(s, m, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, sum := range []*report.Summary{s, m, jsonRoundTrip(t, m)} {
		if err := report.WriteJSON(&out, sum); err != nil {
			t.Fatal(err)
		}
		if err := text.Render(&out, sum, text.PlainStyles(), 200); err != nil {
			t.Fatal(err)
		}
	}
	if err := text.RenderComparison(&out, c, text.PlainStyles(), 200); err != nil {
		t.Fatal(err)
	}
	if err := text.RenderComparisonMarkdown(&out, c); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteComparisonJSON(&out, c); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "SECRET") {
		i := strings.Index(out.String(), "SECRET")
		t.Errorf("a secret reached a report: ...%s...", out.String()[max(i-80, 0):i+10])
	}
	if !strings.Contains(out.String(), `"X-Plain: visible"`) || !strings.Contains(out.String(), `"x-custom: REDACTED"`) {
		t.Errorf("headers are not in the JSON as expected")
	}
	if meta.Options.Metadata.Headers[0] != "authorization: Bearer SECRET-1" {
		t.Errorf("the caller's options were changed")
	}
}
