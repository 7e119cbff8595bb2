package text

import (
	"bytes"
	"strings"
	"testing"

	"github.com/grpcpulse/grpcpulse/report"
)

// beyondSummary is report's findmax fixture: a breaking-point search,
// handshake histograms and compression figures.
func beyondSummary(t *testing.T) *report.Summary {
	t.Helper()
	b, err := readGoldenFile("findmax.json.golden")
	if err != nil {
		t.Fatal(err)
	}
	s, err := report.ReadJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRenderFindMax(t *testing.T) {
	s := beyondSummary(t)
	var txt, md bytes.Buffer
	if err := Render(&txt, s, PlainStyles(), 100); err != nil {
		t.Fatal(err)
	}
	if err := RenderMarkdown(&md, s); err != nil {
		t.Fatal(err)
	}
	golden(t, "findmax.txt.golden", txt.Bytes())
	golden(t, "findmax.md.golden", md.Bytes())
	for _, want := range []string{"900 calls/s met the SLO; 950/s did not", "between 900/s (p99 24ms) and 950/s: p(99)<40ms (measured 45ms)",
		"HTTP/2 to READY", "gzip · sent 2.29 MiB → 303 KiB (13%)"} {
		if !strings.Contains(txt.String(), want) {
			t.Errorf("the text report lacks %q", want)
		}
	}
	for _, want := range []string{"#### Breaking point", "| 1600/s | 1010/s |", "| HTTP/2 to READY |", "compression gzip"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("the Markdown report lacks %q", want)
		}
	}
}
