package text

import (
	"bytes"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// At 80 columns (and narrower) the per-method table of a mix names each
// method without the service they share, and every line of the report's
// Methods section fits the width.
func TestMethodsTableFitsWidth(t *testing.T) {
	base := syntheticSummary(t, event.Unary)
	bidi := syntheticSummary(t, event.Bidi)
	s := *base
	s.Methods = []report.MethodSummary{
		{Method: "grpcpulse.test.v1.Pulse/Unary", Kind: event.Unary, Weight: 6, Count: 1181, OK: 1181, RPS: 2707.4, Latency: base.Latency},
		{Method: "grpcpulse.test.v1.Pulse/ServerStream", Kind: event.ServerStream, Weight: 3, Count: 609, OK: 609, RPS: 1396, Latency: base.Latency},
		{Method: "grpcpulse.test.v1.Pulse/Bidi", Kind: event.Bidi, Weight: 1, Count: 210, OK: 200, Errors: 10, RPS: 481, Latency: bidi.Latency, Series: bidi.Series},
	}
	for _, width := range []int{80, 60} {
		var b bytes.Buffer
		if err := Render(&b, &s, PlainStyles(), width); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		section := out[strings.Index(out, "Methods of grpcpulse.test.v1.Pulse\n"):]
		section = section[:strings.Index(section, "\n\n")]
		for _, l := range strings.Split(section, "\n") {
			if w := ansi.StringWidth(l); w > width {
				t.Errorf("width %d: a line of %d cells:\n%s", width, w, l)
			}
		}
		for _, want := range []string{"\n  Unary ", "\n  ServerStream ", "\n  Bidi ", "p99", "Errors"} {
			if !strings.Contains(section, want) {
				t.Errorf("width %d: no %q in\n%s", width, want, section)
			}
		}
		if strings.Contains(section, "…") {
			t.Errorf("width %d: names cut:\n%s", width, section)
		}
	}
}

func TestCommonPrefix(t *testing.T) {
	tests := []struct {
		names []string
		want  string
	}{
		{[]string{"a.v1.S/Unary", "a.v1.S/Bidi"}, "a.v1.S/"},
		{[]string{"a.v1.S/Unary", "a.v1.T/Unary"}, "a.v1."},
		{[]string{"a.S/M", "b.S/M"}, ""},
		{[]string{"a.S/M"}, ""},
		{[]string{"a.S/Mx", "a.S/My"}, "a.S/"},
	}
	for _, tt := range tests {
		if got := commonPrefix(tt.names); got != tt.want {
			t.Errorf("commonPrefix(%q) = %q, want %q", tt.names, got, tt.want)
		}
	}
}
