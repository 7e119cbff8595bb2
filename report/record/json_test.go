package record

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

func TestWriteJSONGolden(t *testing.T) {
	for _, kind := range []event.Kind{event.Unary, event.Bidi} {
		t.Run(string(kind), func(t *testing.T) {
			r, meta := syntheticRun(kind)
			var b bytes.Buffer
			if err := report.WriteJSON(&b, summarize(r, meta)); err != nil {
				t.Fatal(err)
			}
			golden(t, string(kind)+".json.golden", b.Bytes())
		})
	}
}

func TestSummaryOfSyntheticRun(t *testing.T) {
	r, meta := syntheticRun(event.Unary)
	s := summarize(r, meta)
	// Calls 22, 45, ... (i%23 == 22) are UNAVAILABLE: 8 of 200; 60, 121, 182
	// DEADLINE_EXCEEDED; 99 code 42.
	if s.Count != 200 || s.Errors != 12 || s.OK != 188 {
		t.Errorf("count %d ok %d errors %d, want 200, 188, 12", s.Count, s.OK, s.Errors)
	}
	if s.RPS != 80 {
		t.Errorf("rps = %v, want 200 calls / 2.5 s = 80", s.RPS)
	}
	if s.LateStarts != 4 {
		t.Errorf("late starts = %d, want 4", s.LateStarts)
	}
	if got := s.Options.Metadata.Headers; got[0] != "authorization: REDACTED" || got[1] != "x-api-key: REDACTED" || got[2] != "x-tenant: blue" {
		t.Errorf("headers not redacted: %q", got)
	}
	if meta.Options.Metadata.Headers[0] != "authorization: Bearer s3cr3t" {
		t.Errorf("Summarize changed the caller's options")
	}
	if len(s.ErrorsByMessage) != 3 || s.ErrorsByMessage[0].Count != 8 ||
		!strings.Contains(s.ErrorsByMessage[0].Message, "dial tcp ADDR: connect: connection refused") {
		t.Errorf("errors by message = %+v", s.ErrorsByMessage)
	}
	if len(s.Connections) != 2 || s.Connections[0].Remote != "10.0.0.1:50051" || s.Connections[0].Calls+s.Connections[1].Calls != 200 {
		t.Errorf("connections = %+v", s.Connections)
	}
	if len(s.Series) != 0 {
		t.Errorf("unary has series %v", s.Series)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	for _, kind := range []event.Kind{event.Unary, event.Bidi} {
		t.Run(string(kind), func(t *testing.T) {
			r, meta := syntheticRun(kind)
			want := summarize(r, meta)
			var b bytes.Buffer
			if err := report.WriteJSON(&b, want); err != nil {
				t.Fatal(err)
			}
			got, err := report.ReadJSON(bytes.NewReader(b.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			// Histograms: exactly the same counts, and the same figures.
			hists := func(s *report.Summary) map[string]*report.Histogram {
				m := map[string]*report.Histogram{"latency": s.Latency, "service_time": s.ServiceTime,
					"connectivity.reconnect_latency": s.Connectivity.ReconnectLatency}
				for k, v := range s.Series {
					m["series."+k] = v
				}
				return m
			}
			gotH, wantH := hists(got), hists(want)
			if len(gotH) != len(wantH) {
				t.Fatalf("read %d histograms, wrote %d", len(gotH), len(wantH))
			}
			for name, w := range wantH {
				g := gotH[name]
				if g == nil || !g.HDR().Equals(w.HDR()) {
					t.Errorf("histogram %s did not round-trip", name)
					continue
				}
				if g.Percentile(99.99) != w.Percentile(99.99) {
					t.Errorf("%s p99.99 = %v, want %v", name, g.Percentile(99.99), w.Percentile(99.99))
				}
				fig := func(h *report.Histogram) report.Histogram {
					return report.Histogram{Count: h.Count, Min: h.Min, Mean: h.Mean, P50: h.P50, P90: h.P90, P99: h.P99, P999: h.P999, Max: h.Max}
				}
				if gf, wf := fig(g), fig(w); gf != wf {
					t.Errorf("%s figures = %+v, want %+v", name, gf, wf)
				}
			}
			// Everything else: equal as data.
			strip := func(s *report.Summary) report.Summary {
				c := *s
				c.Latency, c.ServiceTime, c.Series = nil, nil, nil
				cv := *s.Connectivity
				cv.ReconnectLatency = nil
				c.Connectivity = &cv
				return c
			}
			if g, w := strip(got), strip(want); !reflect.DeepEqual(g, w) {
				t.Errorf("summary did not round-trip:\n got %+v\nwant %+v", g, w)
			}
			// And the report reads back to the same bytes.
			var again bytes.Buffer
			if err := report.WriteJSON(&again, got); err != nil {
				t.Fatal(err)
			}
			if again.String() != b.String() {
				t.Errorf("rewritten report differs from the original")
			}
		})
	}
}
