package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jhump/protoreflect/v2/protoprint"
	"github.com/rogpeppe/go-internal/testscript"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/interop"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcpulse/grpcpulse/cmd"
	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/report"
)

// TestMain lets the scripts run this test binary as the real grpcpulse
// command, in a process of its own.
func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		os.Exit(cmd.Main())
	}
	if os.Getenv("GORACE") == "" {
		// Under -race every process sleeps 1s at exit (atexit_sleep_ms), and
		// the scripts and examples run this binary as grpcpulse hundreds of
		// times: 1.16s a `grpcpulse --help`, 0.17s without. The children
		// inherit it (testscript passes GORACE on); races are still reported.
		os.Setenv("GORACE", "atexit_sleep_ms=10")
	}
	testscript.Main(m, map[string]func(){
		"grpcpulse": func() { os.Exit(cmd.Main()) },
	})
}

// asMainEnv makes the test binary run as grpcpulse, for tests that signal a
// real process.
const asMainEnv = "GRPCPULSE_TEST_AS_MAIN"

// TestScripts runs the end-to-end scripts in testdata/script: the grpcpulse
// binary against real servers on 127.0.0.1, asserting stdout, stderr and exit
// codes. Run with -update to rewrite cmp golden files.
func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: os.Getenv("UPDATE_SCRIPTS") != "",
		Setup: func(env *testscript.Env) error {
			testdata, err := filepath.Abs("testdata")
			env.Setenv("TESTDATA", testdata) // the repository's testdata: protos, protoset
			return err
		},
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"server":        cmdServer,
			"foreignserver": cmdForeignServer,
			"http1server":   cmdHTTP1Server,
			"silentserver":  cmdSilentServer,
			"hostileserver": cmdHostileServer,
			"deadaddr":      cmdDeadAddr,
			"limitserver":   cmdLimitServer,
			"mergecheck":    cmdMergeCheck,
			"due":           cmdDue,
			"exit":          cmdExit,
		},
	})
}

// server NAME [tls|mtls] [noreflect|v1alpha|mutereflect] [logmd] [barrier=N] [streams10]
// starts the built-in test server and sets $NAME to its address; with TLS,
// $NAME_CA, $NAME_CERT and $NAME_KEY name the CA and client certificate files.
// mutereflect accepts reflection streams and never answers. logmd appends a
// line per call to $WORK/NAME.calls: the method and its x-* metadata.
// barrier=N holds every call that carries x-barrier metadata until calls
// with N different x-barrier values have arrived: N runs started in the
// background (-H 'x-barrier: ID', each its own ID, with -n rather than -z)
// are then in flight together, so their reports overlap in time however
// late a busy machine starts one of them.
func cmdServer(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: server NAME [tls|mtls] [noreflect|v1alpha]")
	}
	var opts []testserver.Option
	for _, a := range args[1:] {
		switch a {
		case "tls", "mtls":
			certs, err := testserver.GenerateCerts()
			ts.Check(err)
			dir := ts.MkAbs(args[0] + "-certs")
			ts.Check(os.MkdirAll(dir, 0o700))
			files, err := certs.WriteFiles(dir)
			ts.Check(err)
			ts.Setenv(args[0]+"_CA", files.CA)
			ts.Setenv(args[0]+"_CERT", files.ClientCert)
			ts.Setenv(args[0]+"_KEY", files.ClientKey)
			opts = append(opts, testserver.WithTLS(certs, a == "mtls"))
		case "noreflect":
			opts = append(opts, testserver.WithoutReflection())
		case "v1alpha":
			opts = append(opts, testserver.WithReflection(testserver.ReflectionV1Alpha))
		case "mutereflect":
			opts = append(opts, testserver.WithoutReflection(), testserver.WithServerOptions(
				grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
					<-stream.Context().Done()
					return stream.Context().Err()
				})))
		case "logmd":
			opts = append(opts, testserver.WithCallHook(callLogger(ts.MkAbs(args[0]+".calls"))))
		case "barrier=2", "barrier=3":
			n, _ := strconv.Atoi(strings.TrimPrefix(a, "barrier="))
			opts = append(opts, testserver.WithCallHook(barrier(n)))
		case "streams10": // a known capacity: 10 calls at once per connection
			opts = append(opts, testserver.WithMaxConcurrentStreams(10))
		default:
			ts.Fatalf("server: unknown option %q", a)
		}
	}
	srv, err := testserver.New(opts...)
	ts.Check(err)
	ts.Defer(srv.Stop)
	ts.Setenv(args[0], srv.Addr())
}

// barrier returns a call hook that holds each Pulse call with x-barrier metadata
// until n distinct x-barrier values have been seen (at most barrierLimit: a
// run that never comes fails the script on its own, not by a hang).
func barrier(n int) func(string, metadata.MD) {
	var mu sync.Mutex
	seen := map[string]bool{}
	open := make(chan struct{})
	return func(method string, md metadata.MD) {
		ids := md.Get("x-barrier")
		if len(ids) == 0 || !strings.HasPrefix(method, "/grpcpulse.test.v1.Pulse/") { // not reflection: the loads meet
			return
		}
		mu.Lock()
		if !seen[ids[0]] {
			seen[ids[0]] = true
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
}

// barrierLimit bounds how long a barrier holds a call.
const barrierLimit = 30 * time.Second

// callLogger returns a call hook that appends "METHOD key=value ..." (the x-*
// keys, sorted) to the file at path. The line is written before the handler
// runs, so it is there when the client's command returns.
func callLogger(path string) func(string, metadata.MD) {
	var mu sync.Mutex
	return func(method string, md metadata.MD) {
		var kv []string
		for k, vs := range md {
			if strings.HasPrefix(k, "x-") {
				kv = append(kv, k+"="+strings.Join(vs, ","))
			}
		}
		sort.Strings(kv)
		mu.Lock()
		defer mu.Unlock()
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err == nil {
			fmt.Fprintln(f, strings.Join(append([]string{method}, kv...), " "))
			f.Close()
		}
	}
}

// foreignserver NAME [tls|noreflect] starts grpc-go's own interop
// TestService (code we did not write, with methods of every kind) with
// health and reflection. With noreflect it has no reflection, and its
// protos are written as .proto files under $WORK/NAME-protos.
func cmdForeignServer(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: foreignserver NAME [tls|noreflect]")
	}
	mode := ""
	if len(args) > 1 {
		mode = args[1]
	}
	var opts []grpc.ServerOption
	if mode == "tls" {
		certs, err := testserver.GenerateCerts()
		ts.Check(err)
		files, err := certs.WriteFiles(ts.MkAbs("."))
		ts.Check(err)
		ts.Setenv(args[0]+"_CA", files.CA)
		cfg, err := certs.ServerConfig(false)
		ts.Check(err)
		opts = append(opts, grpc.Creds(credentials.NewTLS(cfg)))
	}
	s := grpc.NewServer(opts...)
	testgrpc.RegisterTestServiceServer(s, interop.NewTestServer())
	healthpb.RegisterHealthServer(s, health.NewServer())
	if mode == "noreflect" {
		ts.Check(writeProtos(ts.MkAbs(args[0]+"-protos"), testgrpc.File_grpc_testing_test_proto))
	} else {
		reflection.Register(s)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	go s.Serve(lis)
	ts.Defer(s.Stop)
	ts.Setenv(args[0], lis.Addr().String())
}

// limitserver NAME IDLE AGE starts the test server with MaxConnectionIdle
// IDLE and MaxConnectionAge AGE (grace 1s).
func cmdLimitServer(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: limitserver NAME IDLE AGE")
	}
	idle, err := time.ParseDuration(args[1])
	ts.Check(err)
	age, err := time.ParseDuration(args[2])
	ts.Check(err)
	srv, err := testserver.New(testserver.WithKeepaliveParams(keepalive.ServerParameters{
		MaxConnectionIdle: idle, MaxConnectionAge: age, MaxConnectionAgeGrace: time.Second}))
	ts.Check(err)
	ts.Defer(srv.Stop)
	ts.Setenv(args[0], srv.Addr())
}

// http1server NAME starts an HTTP/1.1 server.
func cmdHTTP1Server(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: http1server NAME")
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	ts.Defer(srv.Close)
	ts.Setenv(args[0], srv.Listener.Addr().String())
}

// silentserver NAME accepts TCP connections and never answers.
func cmdSilentServer(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: silentserver NAME")
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	ts.Defer(func() {
		lis.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	ts.Setenv(args[0], lis.Addr().String())
}

// deadaddr NAME sets $NAME to a loopback address nothing listens on, for the
// whole script.
func cmdDeadAddr(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: deadaddr NAME")
	}
	addr, release, err := testserver.ReserveClosedAddr() // held: no server started meanwhile takes the port
	ts.Check(err)
	ts.Defer(release)
	ts.Setenv(args[0], addr)
}

// exit CODE PROGRAM ARGS... runs PROGRAM and asserts its exit code; its
// output is then checked with stdout and stderr as after exec.
func cmdExit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exit CODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		got = exitErr.ExitCode()
	} else if err != nil {
		ts.Fatalf("%s: %v", filepath.Base(args[1]), err)
	}
	if got != want {
		ts.Fatalf("exit code %d, want %d", got, want)
	}
}

// writeProtos prints fd and its direct imports as .proto files under dir.
func writeProtos(dir string, fd protoreflect.FileDescriptor) error {
	files := []protoreflect.FileDescriptor{fd}
	for i := range fd.Imports().Len() {
		files = append(files, fd.Imports().Get(i).FileDescriptor)
	}
	var printer protoprint.Printer
	for _, f := range files {
		path := filepath.Join(dir, f.Path())
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		out, err := os.Create(path)
		if err != nil {
			return err
		}
		err = printer.PrintProtoFile(f, out)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// mergecheck MERGED FILE... checks that the merged report's latency
// percentiles are those of one histogram holding every call of the FILEs
// (merged here independently, from their HdrHistogram encodings).
func cmdMergeCheck(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: mergecheck MERGED FILE...")
	}
	read := func(name string) *report.Summary {
		f, err := os.Open(ts.MkAbs(name))
		ts.Check(err)
		defer f.Close()
		s, err := report.ReadJSON(f)
		ts.Check(err)
		return s
	}
	merged := read(args[0])
	union := read(args[1]).Latency.HDR()
	var count int64
	for _, name := range args[1:] {
		s := read(name)
		count += s.Count
		if name != args[1] {
			union.Merge(s.Latency.HDR())
		}
	}
	if merged.Count != count || merged.Latency.Count != union.TotalCount() {
		ts.Fatalf("merged count %d (latency %d), want %d", merged.Count, merged.Latency.Count, count)
	}
	for _, p := range []float64{50, 90, 99, 99.9, 100} {
		if got, want := merged.Latency.Percentile(p), time.Duration(union.ValueAtPercentile(p)); got != want {
			ts.Fatalf("merged p%g = %s, the union's is %s", p, got, want)
		}
	}
	ts.Logf("merged %d calls; p50 %s, p99 %s, max %s equal the union's", count,
		merged.Latency.Percentile(50), merged.Latency.Percentile(99), merged.Latency.Percentile(100))
}

// due N[..M] [PER] checks the JSON report on stdout of an open-loop run:
// the N calls due within it (N to M when rounding may add one) are all
// accounted for, recorded (each OK) or, when a loaded machine left them due
// at the end with every worker busy, aborted or unstarted; with PER, each
// recorded call received PER messages. An exact "count" holds only on an
// idle machine.
func cmdDue(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: due N[..M] [PER]")
	}
	lo, hi, ranged := strings.Cut(args[0], "..")
	if !ranged {
		hi = lo
	}
	least, err := strconv.ParseInt(lo, 10, 64)
	ts.Check(err)
	most, err := strconv.ParseInt(hi, 10, 64)
	ts.Check(err)
	s, err := report.ReadJSON(strings.NewReader(ts.ReadFile("stdout")))
	ts.Check(err)
	if got := s.Count + s.Aborted + s.Unstarted; got < least || got > most || s.OK != s.Count {
		ts.Fatalf("%d recorded (%d OK), %d aborted, %d unstarted; want %s due in all, every recorded call OK",
			s.Count, s.OK, s.Aborted, s.Unstarted, args[0])
	}
	if len(args) == 2 {
		per, err := strconv.ParseInt(args[1], 10, 64)
		ts.Check(err)
		if s.Messages.Received != per*s.Count {
			ts.Fatalf("received %d messages in %d calls, want %d each", s.Messages.Received, s.Count, per)
		}
	}
	ts.Logf("%d recorded, %d aborted, %d unstarted", s.Count, s.Aborted, s.Unstarted)
}
