package html

import (
	"bytes"
	"fmt"
	stdreflect "reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/report/diagnose"
	"github.com/grpcpulse/grpcpulse/report/gate"
	textreport "github.com/grpcpulse/grpcpulse/report/text"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// withCounts is the synthetic report of kind with every count set to n: each
// int64 that is not a duration, the counts of workers, connections and
// messages, and n merged sources. Its findings are diagnosed afresh.
func withCounts(t *testing.T, kind event.Kind, n int) *report.Summary {
	t.Helper()
	s := syntheticSummary(t, kind)
	durationType := stdreflect.TypeFor[time.Duration]()
	keep := map[string]bool{"Second": true, "Index": true, "FirstConnection": true, "Transport": true, "Conn": true, "Seed": true, "Weight": true}
	var set func(v stdreflect.Value, name string)
	set = func(v stdreflect.Value, name string) {
		switch v.Kind() {
		case stdreflect.Pointer:
			if !v.IsNil() {
				set(v.Elem(), name)
			}
		case stdreflect.Slice:
			for i := range v.Len() {
				set(v.Index(i), name)
			}
		case stdreflect.Map:
			for _, k := range v.MapKeys() {
				e := stdreflect.New(v.Type().Elem()).Elem()
				e.Set(v.MapIndex(k))
				set(e, name)
				v.SetMapIndex(k, e)
			}
		case stdreflect.Struct:
			for i := range v.NumField() {
				if f := v.Type().Field(i); f.IsExported() && !keep[f.Name] {
					set(v.Field(i), f.Name)
				}
			}
		case stdreflect.Int64, stdreflect.Int:
			if v.Type() != durationType && v.CanSet() {
				v.SetInt(int64(n))
			}
		}
	}
	set(stdreflect.ValueOf(s).Elem(), "")
	s.Sources = nil
	for i := range n {
		s.Sources = append(s.Sources, report.Source{StartedAt: s.StartedAt, Duration: s.Duration, Count: int64(n), Concurrency: n, FirstConnection: i})
	}
	s.Findings = diagnose.Findings(s)
	return s
}

// renderings are s in text, Markdown and HTML, and its comparison with
// itself in text and Markdown.
func renderings(t *testing.T, s *report.Summary) map[string]string {
	t.Helper()
	out := map[string]string{}
	var b bytes.Buffer
	if err := textreport.Render(&b, s, textreport.PlainStyles(), 100); err != nil {
		t.Fatal(err)
	}
	out["text"] = b.String()
	b.Reset()
	if err := textreport.RenderMarkdown(&b, s); err != nil {
		t.Fatal(err)
	}
	out["markdown"] = b.String()
	b.Reset()
	if err := RenderHTML(&b, s); err != nil {
		t.Fatal(err)
	}
	out["html"] = b.String()
	c, err := gate.Compare(s, s, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	if err := textreport.RenderComparison(&b, c, textreport.PlainStyles(), 100); err != nil {
		t.Fatal(err)
	}
	out["compare text"] = b.String()
	b.Reset()
	if err := textreport.RenderComparisonMarkdown(&b, c); err != nil {
		t.Fatal(err)
	}
	out["compare markdown"] = b.String()
	return out
}

// nouns are the things the reports count.
var nouns = []string{"call", "error", "stream", "message", "worker", "connection", "transport", "reconnect", "report", "run",
	"second", "event", "attempt", "metric", "time", "ping", "GOAWAY", "RST_STREAM", "failure", "request", "response", "method", "source", "outage"}

// Wherever a count meets a noun, the noun (and what agrees with it) is
// singular for 1 and plural for 2, in every renderer.
func TestCountsAndNounsAgree(t *testing.T) {
	alt := strings.Join(nouns, "|")
	oneMany := regexp.MustCompile(`(?:^|[^\d.,:/+-])1 (?:\w+ )?(?:` + alt + `)s\b`)
	// A singular noun after 2, unless a noun follows it ("2 connection attempts").
	twoOne := regexp.MustCompile(`(?:^|[^\d.,:/+-])2 (?:\w+ )?(?:` + alt + `)\b[^s_](?:\s*(?:` + alt + `)s)?`)
	oneThey := regexp.MustCompile(`(?:^|[^\d.,:/+-])1 (?:` + alt + `)\b[^.\n]*\b(?:they were|were due|their latency)\b`)
	for _, kind := range []event.Kind{event.Unary, event.Bidi} {
		for n, bad := range map[int][]*regexp.Regexp{1: {oneMany, oneThey}, 2: {twoOne}} {
			s := withCounts(t, kind, n)
			for name, out := range renderings(t, s) {
				out = regexp.MustCompile(`<[^>]*>`).ReplaceAllString(out, " ") // tags and their attributes' numbers
				var found []string
				for _, re := range bad {
					for _, m := range re.FindAllString(out, -1) {
						if re == twoOne && strings.HasSuffix(m, "s") {
							continue
						}
						found = append(found, strings.TrimSpace(m))
					}
				}
				slices.Sort(found)
				if found = slices.Compact(found); len(found) > 0 {
					t.Errorf("%s, %s, counts of %d: %s", kind, name, n, strings.Join(quote(found), ", "))
				}
			}
		}
	}
}

func quote(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// The throughput figure and the window it is said to be over agree in
// every renderer: a -z 5s run whose calls in flight ended by 5.5s did
// 950 calls at 190/s over 5s, not "190/s over 5.5s".
func TestThroughputWindow(t *testing.T) {
	s := syntheticSummary(t, event.Unary)
	s.Options.Load.Total, s.Options.Load.Duration = 0, 5*time.Second
	s.Duration, s.Count, s.OK, s.Errors, s.RPS = 5500*time.Millisecond, 950, 950, 0, 190
	s.Findings = nil
	out := renderings(t, s)
	for name, want := range map[string]string{
		"text":     "190/s over 5s (calls ended by 5.5s)",
		"markdown": "| 190/s over 5s | 5.5s |",
		"html":     "over 5s (calls ended by 5.5s)",
	} {
		if !strings.Contains(out[name], want) {
			t.Errorf("%s has no %q:\n%s", name, want, out[name])
		}
		if strings.Contains(out[name], "over 5.5s") {
			t.Errorf("%s says the rate is over 5.5s", name)
		}
	}
	// A run that ended with -z (or had none) says its duration once.
	s.Duration = 5 * time.Second
	if out := renderings(t, s); !strings.Contains(out["text"], "190/s over 5s\n") || !strings.Contains(out["markdown"], "| 190/s | 5s |") {
		t.Errorf("a run of exactly -z:\n%s\n%s", out["text"], out["markdown"])
	}
}
