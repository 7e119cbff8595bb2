package data

import (
	"cmp"
	"runtime"
	"strings"
	"testing"

	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
)

// A template that would make more than MaxRendered fails with an error
// naming what it called, having allocated a small part of that. Not
// parallel: it measures the process's allocations.
func TestTemplateLimits(t *testing.T) {
	const small = 1 << 20 // the loops' budget and text: fast, even with -race
	for _, tt := range []struct {
		name, text, want string
		limit            int64
	}{
		{"randomString", `{{randomString 100000000}}`, "randomString: this would make more than the 64 MiB", 0},
		{"randBytes", `{{randBytes 30000000}}`, "randBytes: this would make more than", 0},
		{"repeat", `{{repeat 100000000 "ab"}}`, "repeat: this would make more than", 0},
		{"repeat overflow", `{{repeat 9223372036854775807 "ab"}}`, "repeat: this would make more than", 0},
		{"until", `{{range until 30000000}}{{end}}`, "until: this would make more than", 0},
		{"untilStep", `{{range untilStep 0 300000000 3}}{{end}}`, "untilStep: this would make more than", 0},
		{"seq", `{{seq 30000000}}`, "seq: this would make more than", 0},
		{"loops in loops", `{{range until 10000}}{{range until 10000}}{{end}}{{end}}`, "until: this would make more than the 1 MiB", small},
		{"indent", `{{indent 100000000 "x"}}`, "indent: this would make more than", 0},
		{"join", `{{$s := repeat 1000000 "x"}}{{join $s (until 100)}}`, "join: this would make more than", 0},
		{"append", `{{$l := list}}{{range until 1000}}{{$l = append $l 1}}{{end}}`, "append: this would make more than the 1 MiB", small},
		{"printf width", `{{printf "%0100000000d" 1}}`, "printf: this would make more than", 0},
		{"printf star", `{{printf "%*d" 100000000 1}}`, "printf: this would make more than", 0},
		{"rendered text", `{{range until 200}}` + strings.Repeat("x", 10000) + `{{end}}`, "the rendered text is larger than 1 MiB", small},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			out, err := executeLimited(t, tt.text, 1, nil, cmp.Or(tt.limit, MaxRendered))
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v (output %d bytes), want %q", err, len(out), tt.want)
			}
			limit := uint64(MaxRendered / 4) // the error comes before the work
			if tt.limit != 0 {
				// Work up to the budget, in many small pieces (and a
				// buffer doubling to the limit): bounded in all, where
				// unbounded these would make gigabytes.
				limit = 8 * uint64(tt.limit)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > limit {
				t.Errorf("allocated %d MiB in all before failing, want at most %d", grew>>20, limit>>20)
			}
		})
	}
}

// What stays within the limits renders as before.
func TestTemplateWithinLimits(t *testing.T) {
	t.Parallel()
	for _, text := range []string{
		`{{randomString 1000}}`, `{{repeat 1000 "ab"}}`, `{{range until 1000}}{{range until 1000}}{{end}}{{end}}`,
		`{{printf "%05d|%*d" 7 3 1}}`, `{{$l := list}}{{range until 100}}{{$l = append $l 1}}{{end}}{{len $l}}`,
		`{{seq 3}} {{seq 5 1}} {{seq 0 2 6}} {{join "," (until 3)}} {{indent 2 "a\nb"}}`,
	} {
		if _, err := execute(t, text, 1, nil); err != nil {
			t.Errorf("%s: %v", text, err)
		}
	}
	got, _ := execute(t, `{{seq 3}} {{seq 5 1}} {{seq 0 2 6}} {{join "," (until 3)}} {{printf "%05d|%*d" 7 3 1}}`, 1, nil)
	if want := "1 2 3 5 4 3 2 1 0 2 4 6 0,1,2 00007|  1"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// Through the run's path: NewRequests renders the template once before the
// run, so a template over the limit is refused before any call.
func TestNewRequestsRefusesHugeTemplate(t *testing.T) {
	t.Parallel()
	md := (&pulsepb.Request{}).ProtoReflect().Descriptor()
	_, err := NewRequests(md, []byte(`{"message": "{{randomString 100000000}}"}`), Templated, nil)
	if err == nil || !strings.Contains(err.Error(), "--template: rendered for request 0") || !strings.Contains(err.Error(), "randomString: this would make more than the 64 MiB") {
		t.Fatalf("err = %v", err)
	}
}
