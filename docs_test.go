package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/peer"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
)

// TestDocExamples runs every shell example of README.md and docs/*.md (the
// fenced blocks, ```sh or unlabelled, that call grpcpulse) against a test
// server, in document order and in one directory, so that an example may
// use a file an earlier one wrote. A block is run whole by bash -eo
// pipefail, with grpcpulse on PATH (this test binary as the command).
// Transcript blocks ("$ grpcpulse ...") run each command; output shown
// without an elision ("...") must be printed exactly.
//
// What is changed, and only this (exampleRewrites):
//   - the address 127.0.0.1:50051 (or localhost:50051) is the test server's;
//     `grpcpulse serve` lines are dropped: the test's server stands for them;
//   - durations are capped, to keep the test fast: -z, --duration, --warmup,
//     --stream-duration, a ramp's and each stage's length become a few
//     hundred milliseconds (diagnose's default minute too), and -n at most
//     50 (a --start-at 10s ahead, 1s): under the race detector a call costs
//     about a millisecond of CPU, a gzip one far more on both sides;
//   - a --find-max search tries no rate above 500/s (the RATE of
//     --find-max-limit): its steps show how a search runs, not how fast
//     this machine is, and above that each step is thousands of calls;
//   - a run with --assert (or a compare with --max-regression) that exits 3
//     passes: its gates are examples of syntax, their thresholds written
//     for the reader's server, not this machine under a shortened load;
//   - runs a block starts at once in a loop, to merge, go to a server that
//     holds their calls until all have arrived (atOnce, peerBarrier);
//   - the files the examples read (req.json, ghz.json, request.json,
//     baseline.json, run-*.json, docs/scenarios/mix.yaml) are made first.
//
// A block whose first line is "# needs ..." (a cluster, a registry, GitHub)
// is skipped with that reason, and so is a line whose comment starts
// "# needs ".
func TestDocExamples(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatal("bash is needed to run the examples")
	}
	bar := testserver.Start(t, testserver.WithCallHook(barrier(2)))
	srv := testserver.Start(t)
	bin := grpcpulseOnPath(t)
	files, _ := filepath.Glob("docs/*.md")
	for _, file := range append([]string{"README.md"}, files...) {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir() // one per document: its examples build on each other
		env := append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
			"GITHUB_STEP_SUMMARY="+filepath.Join(dir, "summary.md"))
		runSh := func(t *testing.T, script string) (string, error) {
			t.Helper()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "bash", "-eo", "pipefail", "-c", examplePreamble+script)
			cmd.Dir, cmd.Env = dir, env
			out, err := cmd.CombinedOutput()
			return string(out), err
		}
		fixtures(t, dir, srv.Addr(), bar.Addr(), file == "README.md", runSh)
		for _, b := range shellBlocks(string(raw)) {
			name := fmt.Sprintf("%s:%d", file, b.line)
			if reason := b.skip(); reason != "" {
				t.Logf("%s: skipped: %s", name, reason)
				continue
			}
			addr := srv.Addr()
			if n := atOnce(b.body); n > 0 {
				// Runs made at once to be merged: they meet at a barrier
				// (a run's one connection is one peer), so that they
				// overlap however late a busy machine starts one.
				addr = testserver.Start(t, testserver.WithServerOptions(peerBarrier(n))).Addr()
			}
			if b.transcript {
				runTranscript(t, name, b.body, addr, runSh)
				continue
			}
			script := rewriteExample(b.body, addr, t.Logf)
			if out, err := runSh(t, script); err != nil {
				t.Errorf("%s: %v\n--- script:\n%s\n--- output:\n%s", name, err, script, out)
			}
		}
	}
}

// atOnce is how many runs a block starts at once in a loop ("for i in 0 1
// 2; do grpcpulse run ... &"), to be merged; 0 for none.
func atOnce(body string) int {
	m := regexp.MustCompile(`for \w+ in ([^;]+); do\s+grpcpulse run [^&]*&`).FindStringSubmatch(strings.ReplaceAll(body, "\\\n", " "))
	if m == nil {
		return 0
	}
	return len(strings.Fields(m[1]))
}

// peerBarrier holds each Pulse call until n different peers (one per run:
// a run of one connection) have made one, at most barrierLimit.
func peerBarrier(n int) grpc.ServerOption {
	var mu sync.Mutex
	seen := map[string]bool{}
	open := make(chan struct{})
	return grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if p, ok := peer.FromContext(ctx); ok && strings.HasPrefix(info.FullMethod, "/grpcpulse.test.v1.Pulse/") {
			mu.Lock()
			if !seen[p.Addr.String()] {
				seen[p.Addr.String()] = true
				if len(seen) == n {
					close(open)
				}
			}
			mu.Unlock()
			select {
			case <-open:
			case <-time.After(barrierLimit):
			}
		}
		return h(ctx, req)
	})
}

// examplePreamble makes a gate failure (exit 3) of a run with --assert a
// pass, and says so.
const examplePreamble = `grpcpulse() {
  local rc=0
  command grpcpulse "$@" || rc=$?
  if [ "$rc" = 3 ] && [[ " $* " == *" --assert "* || " $* " == *" --max-regression "* ]]; then echo "(gate failed: accepted)" >&2; return 0; fi
  return "$rc"
}
`

// block is one fenced shell example.
type block struct {
	line       int
	body       string
	transcript bool
}

func (b block) skip() string {
	first, _, _ := strings.Cut(strings.TrimSpace(b.body), "\n")
	if r, ok := strings.CutPrefix(first, "# needs "); ok {
		return "needs " + r
	}
	return ""
}

var fence = regexp.MustCompile("(?s)```(\\w*)\n(.*?)```")

// shellBlocks are the fenced blocks of md, labelled sh or bash or not at
// all, that run grpcpulse.
func shellBlocks(md string) []block {
	var out []block
	for _, m := range fence.FindAllStringSubmatchIndex(md, -1) {
		lang, body := md[m[2]:m[3]], md[m[4]:m[5]]
		if lang != "sh" && lang != "bash" && lang != "" {
			continue
		}
		if !regexp.MustCompile(`(?m)(^|\| |\$ )grpcpulse\s`).MatchString(body) {
			continue
		}
		out = append(out, block{line: strings.Count(md[:m[0]], "\n") + 1, body: body,
			transcript: strings.HasPrefix(body, "$ ")})
	}
	return out
}

var (
	reAddr     = regexp.MustCompile(`\b(127\.0\.0\.1|localhost):50051\b`)
	reServe    = regexp.MustCompile(`(?m)^grpcpulse serve\b.*$`)
	reDur      = regexp.MustCompile(`(-z|--duration|--warmup|--stream-duration)([ =])\d+[a-z]+`)
	reTotal    = regexp.MustCompile(`(-n|--total)([ =])(\d+)`)
	reRamp     = regexp.MustCompile(`(ramp:\d+,\d+,)\d+[a-z]+`)
	reStages   = regexp.MustCompile(`(--(?:concurrency-)?stages[ =])(\S+)`)
	reStage    = regexp.MustCompile(`\d+[a-z]+:`)
	reStartAt  = regexp.MustCompile(`'\+\d+ seconds'`)
	reTopRate  = regexp.MustCompile(`(--find-max-limit[ =][^,\s]*,)(\d+)`)
	reNeeds    = regexp.MustCompile(`(?m)^.*#\s*needs .*$`)
	reCont     = regexp.MustCompile(`\\\n`)
	reDiagnose = regexp.MustCompile(`grpcpulse diagnose\b`)
)

const (
	maxTotal   = 50  // the most calls an example's -n makes
	maxTopRate = 500 // the highest rate, in calls/s, a --find-max example tries
)

// rewriteExample applies TestDocExamples' changes to a script.
func rewriteExample(s, addr string, logf func(string, ...any)) string {
	s = reCont.ReplaceAllString(s, " ")
	for _, l := range reNeeds.FindAllString(s, -1) {
		logf("line skipped: %s", strings.TrimSpace(l))
	}
	s = reNeeds.ReplaceAllString(s, "")
	s = reServe.ReplaceAllString(s, ": the test server stands for it")
	s = reAddr.ReplaceAllString(s, addr)
	s = reDur.ReplaceAllString(s, "${1}${2}300ms")
	s = reTotal.ReplaceAllStringFunc(s, func(m string) string {
		sub := reTotal.FindStringSubmatch(m)
		if n, _ := strconv.Atoi(sub[3]); n > maxTotal {
			return sub[1] + sub[2] + strconv.Itoa(maxTotal)
		}
		return m
	})
	s = reTopRate.ReplaceAllStringFunc(s, func(m string) string {
		sub := reTopRate.FindStringSubmatch(m)
		if n, _ := strconv.Atoi(sub[2]); n > maxTopRate {
			return sub[1] + strconv.Itoa(maxTopRate)
		}
		return m
	})
	s = reRamp.ReplaceAllString(s, "${1}300ms")
	s = reStages.ReplaceAllStringFunc(s, func(m string) string { return reStage.ReplaceAllString(m, "100ms:") })
	s = reStartAt.ReplaceAllString(s, "'+1 seconds'")
	s = reDiagnose.ReplaceAllString(s, "grpcpulse diagnose --duration 300ms") // its default is 1m
	return s
}

// runTranscript runs each "$ " command of a transcript block and compares
// its output with the lines shown, unless they elide some ("...").
func runTranscript(t *testing.T, name, body, addr string, run func(*testing.T, string) (string, error)) {
	t.Helper()
	parts := strings.Split("\n"+body, "\n$ ")[1:]
	for _, p := range parts {
		cmdLine, want, _ := strings.Cut(p, "\n")
		out, err := run(t, rewriteExample(cmdLine, addr, t.Logf))
		if failing := strings.Contains(want, "Error: "); failing != (err != nil) {
			// A transcript that shows "Error: " shows a command that fails.
			t.Errorf("%s: $ %s: exit %v, the docs show a failure: %v\n%s", name, cmdLine, err, failing, out)
			continue
		}
		if !strings.Contains(want, "...") && strings.TrimSpace(reAddr.ReplaceAllString(out, "")) != strings.TrimSpace(want) {
			t.Errorf("%s: $ %s printed\n%s\nthe docs show\n%s", name, cmdLine, out, want)
		}
	}
}

// fixtures makes the files the examples read, in dir: request data, a
// baseline and two overlapping runs (they meet at bar's barrier) to merge,
// and the scenario file with the test server's address.
func fixtures(t *testing.T, dir, addr, bar string, runs bool, run func(*testing.T, string) (string, error)) {
	t.Helper()
	write := func(name, text string) {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("req.json", `{"message":"hi"}`)
	write("request.json", `{"message":"hi"}`)
	write("ghz.json", `[
  {"id": "{{.RequestNumber}}", "message": "{{.MethodName}} {{.UUID}} {{randomString 6}}"},
  {"id": {{randomInt 100 200}}, "message": "{{newUUID}} w{{.WorkerID}}"}
]`)
	mix, err := os.ReadFile("docs/scenarios/mix.yaml")
	if err != nil {
		t.Fatal(err)
	}
	write("docs/scenarios/mix.yaml", regexp.MustCompile(`(?m)^total: \d+$`).ReplaceAllString(
		reAddr.ReplaceAllString(string(mix), addr), "total: 200"))
	if !runs {
		return
	}
	// baseline.json has the load shape of README's gated run (report.json),
	// so that report compare compares them.
	script := fmt.Sprintf(`grpcpulse run --plaintext %[1]s grpcpulse.test.v1.Pulse/Unary --rps 500 -z 300ms --format json -o baseline.json
grpcpulse run --plaintext %[2]s grpcpulse.test.v1.Pulse/Unary -n 100 -H 'x-barrier: a' --format json -o run-a.json &
grpcpulse run --plaintext %[2]s grpcpulse.test.v1.Pulse/Unary -n 100 -H 'x-barrier: b' --format json -o run-b.json &
wait
`, addr, bar)
	if out, err := run(t, script); err != nil {
		t.Fatalf("fixtures: %v\n%s", err, out)
	}
}
