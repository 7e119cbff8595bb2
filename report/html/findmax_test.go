package html

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func TestRenderHTMLFindMax(t *testing.T) {
	got := renderHTMLString(t, syntheticSummary(t, "findmax"))
	golden(t, "findmax.html.golden", []byte(got))
	doc, err := html.Parse(strings.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	var section, chart *html.Node
	var rings, dots int
	walk(doc, func(n *html.Node) {
		if id, _ := attr(n, "id"); id == "breaking-point" {
			section = n
		}
		if label, _ := attr(n, "aria-label"); label == "Latency by rate" {
			chart = n
		}
	})
	if section == nil || chart == nil {
		t.Fatal("no breaking-point section with a latency-by-rate chart")
	}
	walk(chart, func(n *html.Node) {
		class, _ := attr(n, "class")
		switch {
		case n.Data == "circle" && strings.HasPrefix(class, "ring"):
			rings++
		case n.Data == "circle" && strings.HasPrefix(class, "dot"):
			dots++
		}
	})
	// 9 steps, 4 failed and 5 passed, each as a p50 and a p99 point.
	if rings != 8 || dots != 10 {
		t.Errorf("chart has %d rings and %d dots, want 8 and 10", rings, dots)
	}
	for _, want := range []string{"max 900/s", "SLO p(99)&lt;40ms", "900 calls/s met the SLO; 950/s did not", "HTTP/2 to READY", "gzip · sent 2.29 MiB"} {
		if !strings.Contains(got, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}
