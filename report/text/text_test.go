package text

import (
	"bytes"
	"strings"
	"testing"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

func TestRenderTextGolden(t *testing.T) {
	for _, kind := range []event.Kind{event.Unary, event.Bidi} {
		t.Run(string(kind), func(t *testing.T) {
			sum := syntheticSummary(t, kind)
			if kind == event.Bidi {
				sum.Interrupted = true
			}
			var b bytes.Buffer
			if err := Render(&b, sum, PlainStyles(), 80); err != nil {
				t.Fatal(err)
			}
			golden(t, string(kind)+".txt.golden", b.Bytes())
			for i, line := range strings.Split(b.String(), "\n") {
				if n := len([]rune(line)); n > 80 {
					t.Errorf("line %d is %d columns wide: %q", i+1, n, line)
				}
			}
			if strings.Contains(b.String(), "\x1b") {
				t.Errorf("plain styles wrote an escape code")
			}
		})
	}
}

func TestRenderTextFromReadJSON(t *testing.T) {
	// A report read back renders exactly as the original (report show).
	s := syntheticSummary(t, event.Bidi)
	var j, direct, again bytes.Buffer
	if err := report.WriteJSON(&j, s); err != nil {
		t.Fatal(err)
	}
	read, err := report.ReadJSON(&j)
	if err != nil {
		t.Fatal(err)
	}
	if err := Render(&direct, s, PlainStyles(), 100); err != nil {
		t.Fatal(err)
	}
	if err := Render(&again, read, PlainStyles(), 100); err != nil {
		t.Fatal(err)
	}
	if direct.String() != again.String() {
		t.Errorf("rendering the read report differs:\n%s\n---\n%s", again.String(), direct.String())
	}
}

func TestRenderTextNarrowAndColor(t *testing.T) {
	s := syntheticSummary(t, event.Unary)
	var narrow bytes.Buffer
	if err := Render(&narrow, s, PlainStyles(), 50); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(narrow.String(), "p99") || strings.Contains(narrow.String(), "p75") {
		t.Errorf("at width 50 the percentile table should drop columns:\n%s", narrow.String())
	}
	var color bytes.Buffer
	if err := Render(&color, s, ColorStyles(), 80); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(color.String(), "\x1b[") {
		t.Errorf("colour styles wrote no escape codes")
	}
}

// Calls in flight when the user stopped the run are said once, not as
// both aborted and cut.
func TestRenderTextInterruptedOnce(t *testing.T) {
	s := syntheticSummary(t, event.Unary)
	s.Interrupted, s.Stalled, s.Aborted, s.Cut = true, 0, 8, 8
	var b bytes.Buffer
	if err := Render(&b, s, PlainStyles(), 100); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Contains(out, "Aborted") || !strings.Contains(out, "8 calls in flight or due when the run was interrupted") {
		t.Errorf("the interrupted calls are not said once:\n%s", out)
	}
	s.Cut = 3 // a stop that cut fewer than were in flight says both
	b.Reset()
	if err := Render(&b, s, PlainStyles(), 100); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Aborted") {
		t.Errorf("aborted calls unlike the cut ones are not shown:\n%s", b.String())
	}
}
