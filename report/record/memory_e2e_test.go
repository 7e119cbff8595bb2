package record

import (
	"context"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
	"github.com/grpcpulse/grpcpulse/runner"
	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// liveHeap is the heap the last of two collections found live (so
// sync.Pool's victim caches are gone too). Not runtime.MemStats.HeapAlloc,
// which also counts what the other workers allocated since that
// collection: a CI run saw a grpc-go run's "growth" of 519 KiB that way,
// the garbage of the calls made while the measuring worker waited for a
// processor after the collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// heapAt is a Recorder that takes the live heap when the run's calls reach
// each of its marks.
type heapAt struct {
	*Recorder
	marks []int64
	calls atomic.Int64
	heap  []atomic.Uint64
}

func (h *heapAt) Worker(id, conn int) runner.WorkerRecorder {
	return heapWorker{h.Recorder.Worker(id, conn), h}
}

type heapWorker struct {
	runner.WorkerRecorder
	h *heapAt
}

func (w heapWorker) Call(c *runner.CallStats) {
	w.WorkerRecorder.Call(c)
	n := w.h.calls.Add(1)
	for i, m := range w.h.marks {
		if n == m {
			w.h.heap[i].Store(liveHeap())
		}
	}
}

// Memory is flat with run length: the live heap of a run (engine, pool,
// recorder and the test server in this process) around 20,000 calls is
// within 512 KiB of what it was around 2,000, through either engine (a
// leak of 30 bytes a call would show). Each is the least of three samples
// 250 calls apart: grpc-go now and then holds some 700 KiB for a moment
// (seen at either mark, before this round's changes too), which a leak,
// kept at every later sample, is not. Not parallel: other tests'
// allocations would be counted.
func TestMemoryFlatWithRunLength(t *testing.T) {
	const early, late, step = 2_000, 20_000, 250
	srv := testserver.Start(t)
	md := pulsepb.File_pulse_v1_pulse_proto.Services().ByName("Pulse").Methods().ByName(protoreflect.Name("Unary"))
	for _, engine := range []string{plan.EngineGRPC, plan.EngineH2} {
		t.Run(engine, func(t *testing.T) {
			reqs, err := data.NewRequests(md.Input(), []byte(`{"payload":"aGVsbG8="}`), data.Static, nil)
			if err != nil {
				t.Fatal(err)
			}
			opts := plan.Options{Target: plan.Target{Addr: srv.Addr(), Plaintext: true, ConnectTimeout: 10 * time.Second, Engine: engine},
				Load: plan.Load{Total: late + 100, Concurrency: 8, Connections: 2}, Call: plan.Call{Messages: 1}}
			r, err := runner.New(opts, md, reqs)
			if err != nil {
				t.Fatal(err)
			}
			used := r.Options()
			marks := []int64{early, early + step, early + 2*step, late - 2*step, late - step, late}
			h := &heapAt{Recorder: New(event.Unary, used.Load.Workers()), marks: marks, heap: make([]atomic.Uint64, len(marks))}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if _, err := r.Run(ctx, h); err != nil {
				t.Fatal(err)
			}
			if n := h.calls.Load(); n != late+100 {
				t.Fatalf("%d calls recorded, want %d", n, late+100)
			}
			least := func(hs []atomic.Uint64) uint64 {
				return min(hs[0].Load(), hs[1].Load(), hs[2].Load())
			}
			a, b := least(h.heap[:3]), least(h.heap[3:])
			t.Logf("%s: live heap %d KiB after %d calls, %d KiB after %d", engine, a>>10, early, b>>10, late)
			if b > a+512<<10 {
				t.Errorf("the live heap grew by %d KiB from call %d to call %d: %.0f bytes a call kept",
					(b-a)>>10, early, late, float64(b-a)/(late-early))
			}
		})
	}
}
