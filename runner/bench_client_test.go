package runner_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/grpcpulse/grpcpulse/internal/cputime"
	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// serverEnv, when set, makes the test binary the benchmarks' server
// process (see serverProcess) instead of running tests.
const serverEnv = "GRPCPULSE_BENCH_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(serverEnv) != "" {
		os.Exit(serveUntilStdinCloses())
	}
	os.Exit(m.Run())
}

// serveUntilStdinCloses runs the test server, prints its address, and
// stops it once stdin closes (the benchmark ended, or died).
func serveUntilStdinCloses() int {
	s, err := testserver.New()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(s.Addr())
	io.Copy(io.Discard, os.Stdin)
	s.Stop()
	return 0
}

// serverProcess starts the test server in a process of its own (this
// test binary, re-run) and returns its address: what the benchmark
// process allocates and spends is then the client's alone.
func serverProcess(b *testing.B) string {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), serverEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("server process: %v", err)
	}
	return strings.TrimSpace(line)
}

// syscalls is how many read and write system calls this process made so
// far (Linux's /proc/self/io; 0 elsewhere).
func syscalls() (reads, writes int64) {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		i, _ := strconv.ParseInt(v, 10, 64)
		switch k {
		case "syscr":
			reads = i
		case "syscw":
			writes = i
		}
	}
	return reads, writes
}

// BenchmarkClientUnary runs unary calls through the runner (default
// flags: -c 50, one connection, the real recorder) against the test server
// in another process, with each engine, so that allocs/op and
// cpu-ns/call are the client's alone (issue 17's targets for the h2
// engine: at most 5 allocations and 8µs of CPU per call). Use a fixed
// count, e.g. -benchtime 200000x: the run's setup is spread over it.
func BenchmarkClientUnary(b *testing.B) {
	addr := serverProcess(b)
	for _, engine := range []string{plan.EngineGRPC, plan.EngineH2} {
		b.Run(engine, func(b *testing.B) {
			b.ReportAllocs()
			cpu := cputime.Self()
			reads, writes := syscalls()
			d := pulseData(b, addr, int64(b.N), defaultConcurrency, `{"message":"hello"}`, false, engine)
			b.ReportMetric(float64((cputime.Self()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/call")
			b.ReportMetric(float64(b.N)/d.Seconds(), "calls/s")
			reads2, writes2 := syscalls()
			b.ReportMetric(float64(reads2-reads)/float64(b.N), "reads/call")
			b.ReportMetric(float64(writes2-writes)/float64(b.N), "writes/call")
		})
	}
}
