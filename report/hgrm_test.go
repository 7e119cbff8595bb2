package report

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/grpcpulse/grpcpulse/runner/event"
)

// renderFailWriter fails every write, to check that renderers return write
// errors.
type renderFailWriter struct{}

var errRenderWrite = errors.New("disk full")

func (renderFailWriter) Write([]byte) (int, error) { return 0, errRenderWrite }

func TestRenderHGRMGolden(t *testing.T) {
	for _, kind := range []event.Kind{event.Unary, event.Bidi} {
		t.Run(string(kind), func(t *testing.T) {
			sum := syntheticSummary(t, kind)
			var b bytes.Buffer
			if err := RenderHGRM(&b, sum); err != nil {
				t.Fatal(err)
			}
			golden(t, string(kind)+".hgrm.golden", b.Bytes())
		})
	}
}

// TestRenderHGRMMatchesLibrary checks the rows and the footer against
// hdrhistogram-go's own PercentilesPrint, which iterates the same way but
// lays the columns out differently.
func TestRenderHGRMMatchesLibrary(t *testing.T) {
	s := syntheticSummary(t, event.Unary)
	var ours, lib bytes.Buffer
	if err := RenderHGRM(&ours, s); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Latency.HDR().PercentilesPrint(&lib, hgrmTicks, nsPerMS); err != nil {
		t.Fatal(err)
	}
	rows := func(text string) []string {
		var out []string
		for _, l := range strings.Split(text, "\n") {
			f := strings.Fields(l)
			if len(f) >= 3 && !strings.HasPrefix(l, "#") && f[0] != "Value" {
				out = append(out, f[0]+" "+f[2]) // value and total count
			}
		}
		return out
	}
	got, want := rows(ours.String()), rows(lib.String())
	if len(got) == 0 || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows differ from PercentilesPrint:\n%s\n---\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	footer := regexp.MustCompile(`#\[Buckets = +(\d+), SubBuckets += +(\d+)\]`)
	g, w := footer.FindStringSubmatch(ours.String()), footer.FindStringSubmatch(lib.String())
	if g == nil || w == nil || g[1] != w[1] || g[2] != w[2] {
		t.Errorf("geometry %v, PercentilesPrint says %v", g, w)
	}
	if !strings.HasPrefix(ours.String(), "       Value     Percentile TotalCount 1/(1-Percentile)\n\n") {
		t.Errorf("header is not Java's:\n%s", ours.String()[:80])
	}
	lines := strings.Split(ours.String(), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "#[Mean") {
			last := strings.Fields(lines[i-1])
			if len(last) != 3 || last[1] != "1.000000000000" || last[2] != fmt.Sprint(s.Count) {
				t.Errorf("last row %q: want 3 columns at percentile 1 with the total count", lines[i-1])
			}
			break
		}
	}
}

func TestRenderHGRMEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := RenderHGRM(&b, &Summary{}); err != nil {
		t.Fatal(err)
	}
	want := "       Value     Percentile TotalCount 1/(1-Percentile)\n\n" +
		"#[Mean    =        0.000, StdDeviation   =        0.000]\n" +
		"#[Max     =        0.000, Total count    =            0]\n" +
		"#[Buckets =           23, SubBuckets     =         2048]\n"
	if !strings.HasPrefix(b.String(), want) {
		t.Errorf("empty histogram:\n%s", b.String())
	}
}

func TestExportRenderersReturnWriteErrors(t *testing.T) {
	s := syntheticSummary(t, event.Unary)
	for name, render := range map[string]func(*Summary) error{
		"hgrm": func(s *Summary) error { return RenderHGRM(renderFailWriter{}, s) },
		"csv":  func(s *Summary) error { return RenderCSV(renderFailWriter{}, s) },
	} {
		if err := render(s); !errors.Is(err, errRenderWrite) {
			t.Errorf("%s: got %v, want the write error", name, err)
		}
	}
}
