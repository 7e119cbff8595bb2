package text

import (
	"bytes"
	"strings"
	"testing"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

func TestRenderMarkdownGolden(t *testing.T) {
	for _, kind := range []event.Kind{event.Unary, event.Bidi} {
		t.Run(string(kind), func(t *testing.T) {
			sum := syntheticSummary(t, kind)
			if kind == event.Bidi {
				sum.Interrupted = true
			}
			var b bytes.Buffer
			if err := RenderMarkdown(&b, sum); err != nil {
				t.Fatal(err)
			}
			golden(t, string(kind)+".md.golden", b.Bytes())
			if strings.Contains(b.String(), "<") {
				t.Errorf("the Markdown holds HTML (or an unescaped <)")
			}
		})
	}
}

func TestMarkdownEscaping(t *testing.T) {
	for in, want := range map[string]string{
		"plain":           "`plain`",
		"a|b":             "`a\\|b`",
		"uses `x` inside": "``uses `x` inside``",
		"`edge":           "`` `edge ``",
		"two\nlines":      "`two lines`",
		"":                `""`,
		"x``y":            "```x``y```",
	} {
		if got := mdCode(in); got != want {
			t.Errorf("mdCode(%q) = %q, want %q", in, got, want)
		}
	}
	if got := mdEscape("a*b_c|d<e>[f](g) #1"); got != `a\*b\_c\|d\<e\>\[f\](g) \#1` {
		t.Errorf("mdEscape: %q", got)
	}
}

func TestRenderMarkdownAssertions(t *testing.T) {
	s := syntheticSummary(t, event.Unary)
	s.Assertions = []report.AssertionResult{
		{Expr: "p(99)<250ms", Pass: true, Value: "120ms"},
		{Expr: "status=UNAVAILABLE count==0", Value: "8"},
		{Expr: "error_rate<0.1%", Value: "6%"},
	}
	var b bytes.Buffer
	if err := RenderMarkdown(&b, s); err != nil {
		t.Fatal(err)
	}
	want := "#### Assertions: 2 of 3 failed\n\n" +
		"| Result | Assertion | Measured |\n" +
		"| --- | --- | --: |\n" +
		"| ✅ pass | `p(99)<250ms` | 120ms |\n" +
		"| ❌ **fail** | `status=UNAVAILABLE count==0` | 8 |\n" +
		"| ❌ **fail** | `error_rate<0.1%` | 6% |\n"
	if !strings.Contains(b.String(), want) {
		t.Errorf("no assertion table:\n%s", b.String())
	}
	if i, j := strings.Index(b.String(), "Assertions"), strings.Index(b.String(), "Percentiles"); i > j {
		t.Errorf("the assertions come after the percentiles")
	}
	s.Assertions = s.Assertions[:1]
	b.Reset()
	if err := RenderMarkdown(&b, s); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "#### Assertions: all 1 passed") {
		t.Errorf("passing assertions:\n%s", b.String())
	}
}
