package record

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/report/gate"
	"github.com/grpcpulse/grpcpulse/runner/conn"
	"github.com/grpcpulse/grpcpulse/runner/event"

	"google.golang.org/grpc/codes"

	"github.com/grpcpulse/grpcpulse/runner"
)

func okCall() *runner.CallStats {
	return &runner.CallStats{
		Intended: t0, Start: t0.Add(time.Microsecond), End: t0.Add(1500 * time.Microsecond),
		Code: codes.OK, Sent: 1, Received: 1,
		Peer: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 50051},
	}
}

func TestRecordingDoesNotAllocate(t *testing.T) {
	r := newTestRecorder(event.Bidi, 8)
	w := r.Worker(3, 1)
	r.Begin(t0)
	c := okCall()
	if n := testing.AllocsPerRun(1000, func() { w.Call(c) }); n != 0 {
		t.Errorf("Call allocates %v times per successful call, want 0", n)
	}
	if n := testing.AllocsPerRun(1000, func() { w.Message(event.SeriesMsgRTT, 300*time.Microsecond) }); n != 0 {
		t.Errorf("Message allocates %v times per message, want 0", n)
	}
}

func BenchmarkCall(b *testing.B) {
	r := newTestRecorder(event.Unary, 1)
	w := r.Worker(0, 0)
	r.Begin(t0)
	c := okCall()
	b.ReportAllocs()
	for b.Loop() {
		w.Call(c)
	}
}

func BenchmarkMessage(b *testing.B) {
	r := newTestRecorder(event.Bidi, 1)
	w := r.Worker(0, 0)
	r.Begin(t0)
	b.ReportAllocs()
	for b.Loop() {
		w.Message(event.SeriesMsgRTT, 300*time.Microsecond)
	}
}

func BenchmarkCallParallel(b *testing.B) {
	r := New(event.Unary, 64)
	r.manualTicks = true
	var next sync.Mutex
	id := 0
	r.Begin(t0)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		next.Lock()
		w := r.Worker(id, id%4)
		id++
		next.Unlock()
		c := okCall()
		for pb.Next() {
			w.Call(c)
		}
	})
}

// TestConcurrentRecording records from many goroutines through different
// workers while progress is read and the timeline ticks (run it with -race).
func TestConcurrentRecording(t *testing.T) {
	const workers, calls, messages = 32, 500, 3
	r := New(event.Bidi, workers)
	r.Begin(time.Now()) // with the real ticker
	var wg sync.WaitGroup
	for i := range workers {
		w := r.Worker(i, i%3)
		wg.Go(func() {
			c := okCall()
			for n := range calls {
				for range messages {
					w.Message(event.SeriesMsgRTT, time.Duration(n)*time.Microsecond)
					w.Message(event.SeriesFirstMessage, time.Millisecond)
				}
				c.Code, c.Err = codes.OK, nil
				if n%10 == 0 {
					c.Code, c.Err = codes.Unavailable, fmt.Errorf("dial tcp 10.0.0.%d:%d: refused", i, 30000+n)
				}
				c.Cause = conn.Classify(c.Err, false)
				w.Call(c)
			}
		})
	}
	done := make(chan struct{})
	var readers sync.WaitGroup
	readers.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			p := r.Snapshot()
			if p.Count < 0 || p.Errors > p.Count {
				t.Errorf("inconsistent progress %+v", p)
				return
			}
		}
	})
	readers.Go(func() {
		for i := 1; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			r.Tick(time.Now())
		}
	})
	wg.Wait()
	close(done)
	readers.Wait()
	r.End(time.Now())

	s := summarize(r, Meta{})
	if want := int64(workers * calls); s.Count != want || s.Latency.Count != want {
		t.Errorf("count = %d, latency count = %d, want %d", s.Count, s.Latency.Count, want)
	}
	if want := int64(workers * calls / 10); s.Errors != want {
		t.Errorf("errors = %d, want %d", s.Errors, want)
	}
	if got, want := s.Series["msg_rtt"].Count, int64(workers*calls*messages); got != want {
		t.Errorf("msg_rtt count = %d, want %d", got, want)
	}
	var timelineCount, connCalls int64
	for _, p := range s.Timeline {
		timelineCount += p.Count
	}
	for _, c := range s.Connections {
		connCalls += c.Calls
	}
	if timelineCount != s.Count || connCalls != s.Count {
		t.Errorf("timeline holds %d calls, connections %d, want %d", timelineCount, connCalls, s.Count)
	}
	if len(s.ErrorsByMessage) != 1 || s.ErrorsByMessage[0].Message != "dial tcp ADDR: refused" {
		t.Errorf("errors by message = %+v, want one normalised message", s.ErrorsByMessage)
	}
	if p := r.Snapshot(); p.Count != s.Count || p.Errors != s.Errors {
		t.Errorf("final progress %+v, want count %d errors %d", p, s.Count, s.Errors)
	}
}

func TestShardsDoNotGrowWithWorkers(t *testing.T) {
	for _, workers := range []int{1, 4, 1000, 100000} {
		r := New(event.Unary, workers)
		if n := len(r.shards); n < 1 || n > maxShards || n > workers {
			t.Errorf("%d workers: %d shards, want 1 to min(workers, %d)", workers, n, maxShards)
		}
	}
	r := New(event.Unary, 4)
	for id := range 100000 {
		r.Worker(id, id%8) // ids beyond the count given are fine
	}
	for _, s := range r.shards {
		if len(s.conns) > 8 {
			t.Errorf("shard holds %d connections, want at most 8", len(s.conns))
		}
	}
}

func TestTimeline(t *testing.T) {
	r := newTestRecorder(event.Unary, 2)
	w := r.Worker(0, 0)
	if p := r.Snapshot(); p != (Progress{}) {
		t.Errorf("progress before Begin = %+v, want zero", p)
	}
	r.Begin(t0)
	call := func(end time.Duration, latency time.Duration, code codes.Code) {
		c := runner.CallStats{Intended: t0.Add(end - latency), Start: t0.Add(end - latency), End: t0.Add(end), Code: code}
		if code != codes.OK {
			c.Err = errors.New("boom")
		}
		w.Call(&c)
	}
	for i := range 100 {
		call(time.Duration(i)*5*time.Millisecond, time.Duration(i+1)*time.Millisecond, codes.OK)
	}
	r.Tick(t0.Add(time.Second))
	// Second 1: nothing (a stalled server). Second 2: two calls, one failed.
	r.Tick(t0.Add(2 * time.Second))
	call(2100*time.Millisecond, 1500*time.Millisecond, codes.OK)
	call(2200*time.Millisecond, 10*time.Millisecond, codes.Internal)
	r.now = func() time.Time { return t0.Add(2300 * time.Millisecond) }
	p := r.Snapshot()
	want := Progress{Elapsed: 2300 * time.Millisecond, Count: 102, Errors: 1, RPSLastSecond: 0, P99LastSecond: 0}
	if p != want {
		t.Errorf("progress = %+v, want %+v", p, want)
	}
	r.End(t0.Add(2500 * time.Millisecond))

	got := summarize(r, Meta{}).Timeline
	if len(got) != 3 {
		t.Fatalf("timeline has %d points, want 3: %+v", len(got), got)
	}
	checks := []struct {
		count, errors int64
		p50, p99, max time.Duration
	}{
		{100, 0, 50 * time.Millisecond, 99 * time.Millisecond, 100 * time.Millisecond},
		{0, 0, 0, 0, 0},
		{2, 1, 10 * time.Millisecond, 1500 * time.Millisecond, 1500 * time.Millisecond},
	}
	for i, c := range checks {
		p := got[i]
		if p.Second != i || p.Count != c.count || p.Errors != c.errors ||
			!within(p.P50, c.p50) || !within(p.P99, c.p99) || !within(p.Max, c.max) {
			t.Errorf("point %d = %+v, want count %d errors %d p50 %v p99 %v max %v", i, p, c.count, c.errors, c.p50, c.p99, c.max)
		}
	}
	p = r.Snapshot()
	if p.Elapsed != 2500*time.Millisecond || p.RPSLastSecond != 4 || !within(p.P99LastSecond, 1500*time.Millisecond) {
		t.Errorf("progress after End = %+v, want elapsed 2.5s, 4 calls/s in the last half second, p99 1.5s", p)
	}
}

func TestTimelineSkipsEmptyFinalPoint(t *testing.T) {
	r := newTestRecorder(event.Unary, 1)
	w := r.Worker(0, 0)
	r.Begin(t0)
	w.Call(&runner.CallStats{Intended: t0, Start: t0, End: t0.Add(time.Millisecond)})
	r.Tick(t0.Add(time.Second))
	r.End(t0.Add(time.Second))
	if got := len(summarize(r, Meta{}).Timeline); got != 1 {
		t.Errorf("timeline has %d points, want 1 (no empty point at the end)", got)
	}
}

func TestErrorKeysAreBounded(t *testing.T) {
	r := newTestRecorder(event.Unary, 1)
	w := r.Worker(0, 0)
	r.Begin(t0)
	for i := range 3 * maxErrorKeys {
		w.Call(&runner.CallStats{Intended: t0, Start: t0, End: t0, Code: codes.Internal,
			Err: fmt.Errorf("failure kind %c%c", 'a'+i%26, 'a'+i/26)})
	}
	r.End(t0.Add(time.Second))
	s := summarize(r, Meta{})
	if got := len(s.ErrorsByMessage); got != maxErrorKeys+1 {
		t.Errorf("%d distinct messages kept, want %d and the rest together", got, maxErrorKeys+1)
	}
	if first := s.ErrorsByMessage[0]; first.Message != otherMessages || first.Count != 2*maxErrorKeys {
		t.Errorf("first error = %+v, want %q with %d", first, otherMessages, 2*maxErrorKeys)
	}
}

func TestEndWithoutCalls(t *testing.T) {
	r := New(event.ServerStream, 4) // real ticker, stopped by End
	r.Begin(t0)
	r.End(t0.Add(300 * time.Millisecond))
	s := summarize(r, Meta{})
	if s.Count != 0 || s.RPS != 0 || s.Latency.Count != 0 || len(s.Timeline) != 1 {
		t.Errorf("empty run summary: count %d rps %v latency %d timeline %+v", s.Count, s.RPS, s.Latency.Count, s.Timeline)
	}
	if _, ok := s.Series[report.SeriesStreamDuration]; !ok {
		t.Errorf("streaming kind lacks %s: %v", report.SeriesStreamDuration, s.Series)
	}
}

// TestSummaryDuringRun reads the run while workers record (run it with
// -race): every partial summary is consistent, and the last one sees every
// call.
func TestSummaryDuringRun(t *testing.T) {
	r := newTestRecorder(event.Bidi, 8)
	meta := gateMeta(event.Bidi)
	if s := r.Summary(meta); s.Count != 0 || s.Duration != 0 || s.Latency.Count != 0 {
		t.Errorf("before Begin: count %d duration %v", s.Count, s.Duration)
	}
	r.Begin(t0)
	const workers, calls = 8, 300
	var wg sync.WaitGroup
	for id := range workers {
		w := r.Worker(id, id%2)
		wg.Go(func() {
			for i := range calls {
				w.Message(event.SeriesMsgRTT, time.Duration(i+1)*time.Microsecond)
				code := codes.OK
				if i%10 == 0 {
					code = codes.Unavailable
				}
				w.Call(&runner.CallStats{Intended: t0, Start: t0, End: t0.Add(time.Millisecond), Code: code, Sent: 1, Received: 1})
			}
		})
	}
	as, err := gate.ParseAssertions([]string{"p(99)<1s", "msg_rtt.p(99)<1s"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		s := r.Summary(meta)
		if s.OK+s.Errors != s.Count || s.Latency.Count != s.Count || len(s.Findings) != 0 {
			t.Fatalf("inconsistent partial summary: count %d ok %d errors %d latency %d", s.Count, s.OK, s.Errors, s.Latency.Count)
		}
		for _, res := range gate.EvaluateAssertions(s, as) {
			if s.Count > 0 && !res.Pass {
				t.Fatalf("%s failed: %s", res.Expr, res.Value)
			}
		}
	}
	s := r.Summary(meta)
	if s.Count != workers*calls || s.Series["msg_rtt"].Count != workers*calls {
		t.Errorf("count %d, msg_rtt %d, want %d", s.Count, s.Series["msg_rtt"].Count, workers*calls)
	}
	r.End(t0.Add(time.Second))
	if s := r.Summary(meta); s.Duration != time.Second || s.RPS != workers*calls {
		t.Errorf("after End: duration %v rps %v", s.Duration, s.RPS)
	}
}
