package html

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grpcpulse/grpcpulse/report"
)

// FuzzRenderHTML: every report ReadJSON accepts renders as a page whose
// text holds no raw markup from the report.
func FuzzRenderHTML(f *testing.F) {
	for _, name := range []string{"unary.json.golden", "bidi.json.golden", "small.json"} { // small.json: a seed under maxFuzzInput
		b, err := os.ReadFile(filepath.Join("..", "testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if tooLargeToFuzz(len(data)) {
			return
		}
		s, err := report.ReadJSON(bytes.NewReader(data))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := RenderHTML(&out, s); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.String(), "<script>alert") {
			t.Fatal("the report's text reached the page as markup")
		}
	})
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
