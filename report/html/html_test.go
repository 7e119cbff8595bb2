package html

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/report/record"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"

	"golang.org/x/net/html"
)

func renderHTMLString(t *testing.T, s *report.Summary) string {
	t.Helper()
	var b bytes.Buffer
	if err := RenderHTML(&b, s); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestRenderHTMLGolden(t *testing.T) {
	for _, kind := range []event.Kind{event.Unary, event.Bidi} {
		t.Run(string(kind), func(t *testing.T) {
			got := renderHTMLString(t, syntheticSummary(t, kind))
			golden(t, string(kind)+".html.golden", []byte(got))
		})
	}
}

// walk calls f on every element under n.
func walk(n *html.Node, f func(*html.Node)) {
	if n.Type == html.ElementNode {
		f(n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// text is all the text under n.
func text(n *html.Node) string {
	var b strings.Builder
	var f func(*html.Node)
	f = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			f(c)
		}
	}
	f(n)
	return b.String()
}

func TestRenderHTMLStructure(t *testing.T) {
	s := syntheticSummary(t, event.Unary)
	s.Assertions = []report.AssertionResult{{Expr: "p(99)<250ms", Pass: true, Value: "120ms"}, {Expr: "error_rate<1%", Value: "6%"}}
	out := renderHTMLString(t, s)
	doc, err := html.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	// Self-contained: no script, no external resource of any kind.
	external := regexp.MustCompile(`(?i)^\s*(https?:)?//`)
	svgs := map[string]*html.Node{}
	walk(doc, func(n *html.Node) {
		switch n.Data {
		case "script", "link", "img", "iframe", "object", "embed", "image", "use", "foreignObject":
			t.Errorf("the page has a <%s>", n.Data)
		case "svg":
			label, _ := attr(n, "aria-label")
			if svgs[label] != nil {
				t.Errorf("two charts are labelled %q", label)
			}
			svgs[label] = n
		case "style":
			if css := text(n); strings.Contains(css, "url(") || strings.Contains(css, "@import") {
				t.Errorf("the CSS loads something")
			}
		}
		for _, a := range n.Attr {
			if a.Key == "src" || a.Key == "href" || a.Key == "xlink:href" || a.Key == "srcset" || a.Key == "action" {
				t.Errorf("<%s %s=%q>", n.Data, a.Key, a.Val)
			}
			if external.MatchString(a.Val) {
				t.Errorf("<%s %s=%q> points to the network", n.Data, a.Key, a.Val)
			}
		}
	})
	if strings.Contains(out, "http://") || strings.Contains(out, "https://") {
		t.Errorf("the page names a URL")
	}
	// One chart per view, each with its marks and their data.
	for label, want := range map[string]struct {
		marks int
		text  []string
	}{
		"Latency distribution":  {10, []string{"p50 3.5ms", "p99 120ms", "calls (", "120ms"}},
		"Latency by percentile": {20, []string{"latency p50: 3.5ms", "service time p90", "99%"}},
		"Calls per second":      {3, []string{"+0s: 84 calls (84/s), 4 errors", "errors"}},
		"Latency per second":    {3, []string{"+1s p99: 120ms (83 calls)"}},
		"Connection timeline": {20, []string{"#0 10.0.0.1:50051", "GOAWAY NO_ERROR max_age (transport 1) at +1s",
			"GOAWAY ENHANCE_YOUR_CALM too_many_pings", "TRANSIENT_FAILURE from +601ms", "transport closed (transport 1) at +601ms: EOF",
			"keepalive ping (transport 1) at +400ms, answered in 300µs", "before measurement"}},
	} {
		svg := svgs[label]
		if svg == nil {
			t.Errorf("no chart %q", label)
			continue
		}
		marks := 0
		walk(svg, func(n *html.Node) {
			switch n.Data {
			case "rect", "path", "circle", "line":
				marks++
			}
		})
		if marks < want.marks {
			t.Errorf("chart %q has %d marks, want at least %d", label, marks, want.marks)
		}
		for _, s := range want.text {
			if !strings.Contains(text(svg), s) {
				t.Errorf("chart %q does not say %q", label, s)
			}
		}
	}
	if len(svgs) != 5 {
		t.Errorf("%d charts, want 5", len(svgs))
	}
	body := text(doc)
	for _, want := range []string{
		"grpcpulse.test.v1.Pulse/Unary", "10.0.0.1:50051", "closed loop", "80/s", "6.00%",
		"Assertions: 1 of 2 failed", "p(99)<250ms", "✗ fail",
		"UNAVAILABLE", "DEADLINE_EXCEEDED", "OTHER", "dial tcp 10.0.0.1:40022: connect: connection refused",
		"The server rejected our keepalive pings", "Fix", "Late starts", "3 reconnects",
		"grpcpulse v0.1.0-test · grpc-go 1.85.0",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page does not say %q", want)
		}
	}
}

func TestRenderHTMLEscapes(t *testing.T) {
	s := syntheticSummary(t, event.Unary)
	s.Method = `a.B/<script>alert(1)</script>`
	s.Target = `"><img src=x>`
	s.ErrorsByMessage[0].Message = "</code><script>x</script>"
	s.Connections[0].Remote = "<b>evil</b>"
	out := renderHTMLString(t, s)
	for _, bad := range []string{"<script", "<img", "<b>evil"} {
		if strings.Contains(out, bad) {
			t.Errorf("the page holds %q unescaped", bad)
		}
	}
}

func TestRenderHTMLEmptyAndOld(t *testing.T) {
	// An empty run, and a report without connection events (older than
	// them): the page renders, without the charts it has no data for.
	t0 := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	rec := record.NewManual(event.Unary, 1, func() time.Time { return t0 })
	rec.Begin(t0)
	rec.End(t0)
	out := renderHTMLString(t, rec.Summary(record.Meta{Method: "a.B/C", Options: plan.Options{Target: plan.Target{Addr: "x:1"}}}))
	if strings.Contains(out, "<svg") {
		t.Errorf("an empty run has charts")
	}
	renderHTMLString(t, &report.Summary{}) // the zero Summary renders too
	old := &report.Summary{Method: "a.B/C", Target: "x:1", Count: 1, OK: 1, Duration: time.Second,
		Latency: &report.Histogram{}, Timeline: []report.Point{{Second: 0, Count: 1, P50: time.Millisecond, P99: time.Millisecond, Max: time.Millisecond}},
		Connections: []report.Connection{{Index: 0, Calls: 1, Events: []report.Event{}}}}
	out = renderHTMLString(t, old)
	if strings.Contains(out, "Connection timeline") || !strings.Contains(out, "Calls per second") {
		t.Errorf("a report without events:\n%s", out)
	}
}

func TestChartScales(t *testing.T) {
	for _, tt := range []struct {
		span float64
		n    int
		want float64
	}{{100, 4, 50}, {84, 4, 50}, {1, 4, 0.5}, {120e6, 4, 50e6}, {7, 8, 1}, {0, 4, 1}} {
		if got := niceStep(tt.span, tt.n); got != tt.want {
			t.Errorf("niceStep(%g, %d) = %g, want %g", tt.span, tt.n, got, tt.want)
		}
	}
	if got := ticks(-0.02, 2.5, 0.5); len(got) != 6 || got[0] != 0 || got[5] != 2.5 {
		t.Errorf("ticks: %v", got)
	}
	if num(-0.01) != "0" || num(12.345) != "12.3" || num(3) != "3" {
		t.Errorf("num: %s %s %s", num(-0.01), num(12.345), num(3))
	}
	if niceTimeStep(3600, 8) != 600 || niceTimeStep(2.5, 8) != 0.5 || niceTimeStep(40, 8) != 5 {
		t.Errorf("niceTimeStep")
	}
	if axisTime(10*time.Minute) != "10m" || axisTime(time.Hour) != "1h" || axisTime(90*time.Second) != "1m30s" || axisTime(1500*time.Millisecond) != "1.5s" {
		t.Errorf("axisTime")
	}
	if nines(0) != "0%" || nines(1) != "90%" || nines(4) != "99.99%" || nines(2) != "99%" {
		t.Errorf("nines")
	}
}

// TestRenderHTMLLongRun renders an hour of timeline and more connections
// than the page shows, each with dropped events: the page stays small, the
// bars lose their tooltips, the extra connections are counted and the gaps
// in events are drawn.
func TestRenderHTMLLongRun(t *testing.T) {
	s := &report.Summary{Method: "a.B/C", Target: "x:1", Kind: event.Unary, Duration: time.Hour, Count: 3600 * 100, OK: 3600 * 100,
		Latency: &report.Histogram{}, Connectivity: &report.Connectivity{}}
	for i := range 3600 {
		s.Timeline = append(s.Timeline, report.Point{Second: i, Count: 100, Errors: int64(i % 7), P50: time.Millisecond,
			P99: time.Duration(i%100) * time.Millisecond, Max: 200 * time.Millisecond})
	}
	for c := range htmlMaxConns + 10 {
		cn := report.Connection{Index: c, Remote: "10.0.0.1:50051", Calls: 7200, Transports: 200, DroppedEvents: 1000}
		for k := range 100 {
			at := time.Duration(k) * 36 * time.Second
			cn.Events = append(cn.Events, report.Event{At: at, Event: event.Event{Transport: k + 1, Kind: event.EventOpen}})
		}
		s.Connections = append(s.Connections, cn)
	}
	out := renderHTMLString(t, s)
	if len(out) > 2<<20 {
		t.Errorf("the page is %d bytes", len(out))
	}
	for _, want := range []string{"… and 10 more connections", "1000 events between", "3600 seconds: hover details are left out"} {
		if !strings.Contains(out, want) {
			t.Errorf("the page does not say %q", want)
		}
	}
	if n := strings.Count(out, `class="bar ok"`); n != 1 {
		t.Errorf("%d ok bar elements, want one path", n)
	}
}

type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestRenderHTMLReturnsWriteErrors(t *testing.T) {
	if err := RenderHTML(failingWriter{}, syntheticSummary(t, event.Unary)); !errors.Is(err, errDiskFull) {
		t.Errorf("got %v, want the write error", err)
	}
}

// A last point that is a sliver of a second (the calls in flight at -z
// ending a moment later) does not set the throughput chart's scale.
func TestRateScaleIgnoresSliver(t *testing.T) {
	s := &report.Summary{Duration: 2*time.Second + 100*time.Microsecond, Timeline: []report.Point{
		{Second: 0, Count: 6000}, {Second: 1, Count: 6000}, {Second: 2, Count: 4, Width: 100 * time.Microsecond}}}
	if got := rateScale(s); got != 6000 {
		t.Errorf("scale %v, want 6000 (not the sliver's 40000/s)", got)
	}
	if got := rateScale(&report.Summary{Duration: time.Millisecond, Timeline: []report.Point{{Count: 4, Width: time.Millisecond}}}); got != 4000 {
		t.Errorf("scale of a 1ms run %v, want 4000", got)
	}
}
