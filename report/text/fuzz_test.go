package text

import (
	"bytes"
	"flag"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/report/merge"
)

// FuzzReadJSON reads any input as a report; what ReadJSON accepts must
// render in every format without panicking, with no control characters
// in plain text and Markdown, write back to JSON that reads again, and
// merge with a copy of itself started a second later.
func FuzzReadJSON(f *testing.F) {
	for _, name := range []string{"unary.json.golden", "bidi.json.golden", "small.json"} { // small.json: a seed under maxFuzzInput
		b, err := readGoldenFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"schema":"grpcpulse.report/v1","method":"m","started_at":"2025-01-01T00:00:00Z","latency":{"hdr":"x"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if tooLargeToFuzz(len(data)) {
			return
		}
		s, err := report.ReadJSON(bytes.NewReader(data))
		if err != nil {
			return
		}
		renderEverything(t, s)
		var js bytes.Buffer
		if err := report.WriteJSON(&js, s); err != nil {
			t.Fatal(err)
		}
		later, err := report.ReadJSON(bytes.NewReader(js.Bytes()))
		if err != nil {
			t.Fatalf("a report ReadJSON accepted does not read back: %v", err)
		}
		later.StartedAt = report.Timestamp{Time: later.StartedAt.Add(time.Second)}
		later.Sources = nil
		if m, err := merge.Reports([]*report.Summary{s, later}); err == nil {
			renderEverything(t, m)
		}
	})
}

// renderEverything renders s in every format of this package.
func renderEverything(t *testing.T, s *report.Summary) {
	t.Helper()
	var plain, styled bytes.Buffer
	for _, render := range []func() error{
		func() error { return Render(&plain, s, PlainStyles(), 100) },
		func() error { return RenderMarkdown(&plain, s) },
		func() error { return Render(&styled, s, ColorStyles(), 60) },
		func() error { return report.RenderCSV(&styled, s) },
		func() error { return report.RenderHGRM(&styled, s) },
		func() error { return report.WriteJSON(&styled, s) },
	} {
		if err := render(); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range plain.Bytes() {
		if (b < 0x20 && b != '\n' && b != '\t') || b == 0x7f {
			t.Fatalf("plain text or Markdown holds control byte %#x", b)
		}
	}
}

// maxFuzzInput caps the inputs of the fuzz targets while fuzzing: each run
// of a full report (tens of KiB) takes about 0.1 s instrumented, mostly
// re-encoding its histograms, and the fuzzer minimizes every new input it
// finds for up to a minute, so a target over the golden reports made a
// handful of executions in 30 s. Under the cap it makes tens of thousands,
// and the seeds (the golden reports) still run whole in plain go test.
const maxFuzzInput = 8 << 10

// tooLargeToFuzz reports whether an input of n bytes is skipped: only while
// fuzzing (-test.fuzz), and only over maxFuzzInput.
func tooLargeToFuzz(n int) bool {
	f := flag.Lookup("test.fuzz")
	return n > maxFuzzInput && f != nil && f.Value.String() != ""
}
