package record

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/report/html"
	"github.com/grpcpulse/grpcpulse/report/merge"
	"github.com/grpcpulse/grpcpulse/report/text"
	"github.com/grpcpulse/grpcpulse/runner"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

var mixKinds = []event.Kind{event.Unary, event.Bidi, event.ServerStream}

// mixCall is a call of method (an index in mixKinds) in a hand-made mix.
type mixCall struct {
	method  int
	latency time.Duration
	code    codes.Code
}

// recordMix records calls into a mix Recorder, as gateCalls are.
func recordMix(calls []mixCall, start time.Time) *report.Summary {
	r := NewMixManual(mixKinds, 2, func() time.Time { return start })
	r.Begin(start)
	ws := []runner.WorkerRecorder{r.MethodWorker(0, 0, 0), r.MethodWorker(0, 0, 1), r.MethodWorker(1, 0, 2)}
	for _, c := range calls {
		w := ws[c.method]
		if mixKinds[c.method].Has(event.SeriesMsgRTT) {
			w.Message(event.SeriesMsgRTT, c.latency/2)
		}
		if mixKinds[c.method].Has(event.SeriesFirstMessage) {
			w.Message(event.SeriesFirstMessage, c.latency/3)
		}
		w.Call(&runner.CallStats{Intended: start, Start: start, End: start.Add(c.latency), Code: c.code, Method: c.method, Sent: 1, Received: 1})
	}
	r.End(start.Add(10 * time.Second))
	meta := gateMeta(event.MixKind(mixKinds))
	meta.Method = "p.S/A,p.S/B,p.S/C"
	meta.Mix = []MixMethod{{Method: "p.S/A", Weight: 5}, {Method: "p.S/B", Weight: 3}, {Method: "p.S/C", Weight: 2}}
	return summarize(r, meta)
}

func TestMixMethodsMergeExactly(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var parts [2][]mixCall
	var union []mixCall
	for range 3000 {
		c := mixCall{method: rng.IntN(3), latency: time.Duration(rng.ExpFloat64() * float64(3*time.Millisecond))}
		if rng.IntN(20) == 0 {
			c.code = codes.Unavailable
		}
		k := rng.IntN(2)
		parts[k] = append(parts[k], c)
		union = append(union, c)
	}
	a, b, all := recordMix(parts[0], t0), recordMix(parts[1], t0.Add(time.Second)), recordMix(union, t0)
	var counts [3]int64
	for _, c := range union {
		counts[c.method]++
	}
	for i, m := range all.Methods {
		if m.Count != counts[i] || m.Latency.Count != counts[i] {
			t.Errorf("%s: count %d latency count %d, want %d", m.Method, m.Count, m.Latency.Count, counts[i])
		}
	}
	// Through JSON, as report merge reads them.
	a, b = roundTrip(t, a), roundTrip(t, b)
	merged, err := merge.Reports([]*report.Summary{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if len(merged.Methods) != 3 {
		t.Fatalf("merged %d methods, want 3", len(merged.Methods))
	}
	for i, m := range merged.Methods {
		w := all.Methods[i]
		if m.Method != w.Method || m.Count != w.Count || m.OK != w.OK || m.Errors != w.Errors || m.Weight != w.Weight {
			t.Errorf("method %d: merged %s %d/%d/%d, union %s %d/%d/%d", i, m.Method, m.Count, m.OK, m.Errors, w.Method, w.Count, w.OK, w.Errors)
		}
		checkMergedHistogram(t, m.Method+" latency", m.Latency, w.Latency)
		for name, h := range w.Series {
			checkMergedHistogram(t, m.Method+" "+name, m.Series[name], h)
		}
		if len(m.StatusCodes) != len(w.StatusCodes) {
			t.Errorf("%s: codes %v, want %v", m.Method, m.StatusCodes, w.StatusCodes)
		}
	}
	other := recordMix(parts[1], t0.Add(time.Second))
	other.Methods[1].Method = "p.S/Other"
	if _, err := merge.Reports([]*report.Summary{a, other}); err == nil || !strings.Contains(err.Error(), "methods differ") {
		t.Errorf("merging different mixes: %v", err)
	}
}

func roundTrip(t *testing.T, s *report.Summary) *report.Summary {
	t.Helper()
	var buf bytes.Buffer
	if err := report.WriteJSON(&buf, s); err != nil {
		t.Fatal(err)
	}
	got, err := report.ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestMixRenderers(t *testing.T) {
	s := recordMix([]mixCall{{0, time.Millisecond, 0}, {0, 2 * time.Millisecond, 0}, {1, 4 * time.Millisecond, codes.Unavailable}, {2, 3 * time.Millisecond, 0}}, t0)
	var txt, md, page bytes.Buffer
	if err := text.Render(&txt, s, text.PlainStyles(), 100); err != nil {
		t.Fatal(err)
	}
	if err := text.RenderMarkdown(&md, s); err != nil {
		t.Fatal(err)
	}
	if err := html.RenderHTML(&page, s); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"text": txt.String(), "markdown": md.String(), "html": page.String()} {
		for _, want := range []string{"Methods", "p.S/A", "p.S/B", "p.S/C", "50.00%", "rtt 2ms"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: no %q in\n%s", name, want, out)
			}
		}
	}
	single := summarize(recordGateCalls(event.Unary, []gateCall{{latency: time.Millisecond}}, time.Second), gateMeta(event.Unary))
	txt.Reset()
	if err := text.Render(&txt, single, text.PlainStyles(), 100); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(txt.String(), "Methods") {
		t.Error("a run of one method shows a per-method table")
	}
}

// A method's call that ends seconds after the ticker's last fold (a paused
// client) folds the seconds itself, as a single method's does: no panic,
// and the call counts.
func TestMixLateTicker(t *testing.T) {
	start := t0
	r := NewMixManual(mixKinds, 1, func() time.Time { return start })
	r.Begin(start)
	w := r.MethodWorker(0, 0, 1)
	for sec := range 8 {
		at := start.Add(time.Duration(sec) * time.Second)
		w.Call(&runner.CallStats{Intended: at, Start: at, End: at.Add(time.Millisecond), Method: 1, Sent: 1, Received: 1})
	}
	r.End(start.Add(9 * time.Second))
	meta := gateMeta(event.MixKind(mixKinds))
	meta.Mix = []MixMethod{{Method: "p.S/A", Weight: 1}, {Method: "p.S/B", Weight: 1}, {Method: "p.S/C", Weight: 1}}
	s := summarize(r, meta)
	if s.Count != 8 || s.Methods[1].Count != 8 {
		t.Errorf("count %d, method B %d; want 8 and 8", s.Count, s.Methods[1].Count)
	}
}
