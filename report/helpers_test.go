package report

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/runner"
)

// TestMain checks that End stops every ticker goroutine Begin started.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// t0 is the start of every synthetic run.
var t0 = time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.UTC)

// newTestRecorder returns a Recorder whose timeline ticks only when the test
// calls tick, so that runs with injected times are deterministic.
func newTestRecorder(kind runner.Kind, workers int) *Recorder {
	r := NewRecorder(kind, workers)
	r.manualTicks = true
	r.now = func() time.Time { return t0 }
	return r
}

// syntheticRun records a known run of kind through the real Recorder: 200
// calls from 4 workers over 2 connections, 2.5 s long, with a slow tail,
// late starts and two kinds of failure. Times are injected, ticks driven by
// hand.
func syntheticRun(kind runner.Kind) (*Recorder, Meta) {
	const workers, conns, calls = 4, 2, 200
	r := newTestRecorder(kind, workers)
	ws := make([]runner.WorkerRecorder, workers)
	for i := range ws {
		ws[i] = r.Worker(i, i%conns)
	}
	peers := []net.Addr{
		&net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 50051},
		&net.TCPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 50051},
	}
	r.Begin(t0)
	nextTick := t0.Add(time.Second)
	for i := range calls {
		c := syntheticCall(i)
		for !c.End.Before(nextTick) {
			r.tick(nextTick)
			nextTick = nextTick.Add(time.Second)
		}
		w := ws[i%workers]
		c.Peer = peers[i%workers%conns]
		if kind.Streaming() {
			c.Sent, c.Received = 3, 3
			for m := range 3 {
				d := time.Duration(200+i%7*50+m*10) * time.Microsecond
				for s := range runner.NumSeries {
					if kind.Has(s) {
						w.Message(s, d*time.Duration(s+1))
					}
				}
			}
		}
		w.Call(&c)
	}
	r.End(t0.Add(2500 * time.Millisecond))
	meta := Meta{
		Target:      "10.0.0.1:50051",
		Method:      "grpcpulse.test.v1.Pulse/" + map[runner.Kind]string{runner.Unary: "Unary", runner.Bidi: "Bidi"}[kind],
		Kind:        kind,
		Options:     testOptions(kind),
		Aborted:     2,
		Interrupted: false,
		Tool:        "v0.1.0-test",
		GRPCVersion: "1.85.0",
	}
	return r, meta
}

// syntheticCall is call i of a synthetic run: due every 12 ms, taking 1 to
// 5.75 ms with a 120 ms outlier every 37th call; every 50th starts 2 ms late.
func syntheticCall(i int) runner.CallStats {
	intended := t0.Add(time.Duration(i) * 12 * time.Millisecond)
	start := intended
	late := i%50 == 49
	if late {
		start = start.Add(2 * time.Millisecond)
	}
	service := time.Millisecond + time.Duration(i%20)*250*time.Microsecond
	if i%37 == 36 {
		service = 120 * time.Millisecond
	}
	c := runner.CallStats{Intended: intended, Start: start, End: start.Add(service), Code: codes.OK, Sent: 1, Received: 1, Late: late}
	switch {
	case i%23 == 22:
		c.Code = codes.Unavailable
		c.Err = status.Error(codes.Unavailable, fmt.Sprintf("connection error: desc = \"transport: Error while dialing: dial tcp 10.0.0.%d:%d: connect: connection refused\"", 1+i%2, 40000+i))
	case i%61 == 60:
		c.Code = codes.DeadlineExceeded
		c.Err = status.Error(codes.DeadlineExceeded, "context deadline exceeded")
	case i == 99:
		c.Code = codes.Code(42)
		c.Err = errors.New("server sent status 42 after 1.25s")
	}
	return c
}

func testOptions(kind runner.Kind) runner.Options {
	o := runner.Options{
		Target: runner.Target{Addr: "10.0.0.1:50051", Plaintext: true, ConnectTimeout: 10 * time.Second},
		Metadata: runner.Metadata{Headers: []string{
			"authorization: Bearer s3cr3t",
			"x-api-key: abc123",
			"x-tenant: blue",
		}},
		Load: runner.Load{Concurrency: 4, Connections: 2, Total: 200},
		Call: runner.Call{Timeout: 20 * time.Second, Messages: 1},
	}
	if kind == runner.Bidi {
		o.Call.Messages = 3
		o.Load.Total = 0
		o.Load.Duration = 2500 * time.Millisecond
		if err := o.Load.Schedule.Set("ramp:10,100,2s"); err != nil {
			panic(err)
		}
	}
	return o
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n--- got:\n%s\n--- want:\n%s", name, got, want)
	}
}
