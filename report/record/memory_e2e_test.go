package record

import (
	"context"
	"runtime"
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

// heapAt is a Recorder that takes the live heap (after two collections, so
// sync.Pool's victim caches are gone too) when the run's calls reach each
// of its marks.
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
			runtime.GC()
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			w.h.heap[i].Store(ms.HeapAlloc)
		}
	}
}

// Memory is flat with run length: the live heap of a run (engine, pool,
// recorder and the test server in this process) after 20,000 calls is
// within 512 KiB of what it was after 2,000, through either engine (a
// leak of 30 bytes a call would show). Not parallel: other tests'
// allocations would be counted.
func TestMemoryFlatWithRunLength(t *testing.T) {
	const early, late = 2_000, 20_000
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
			h := &heapAt{Recorder: New(event.Unary, used.Load.Workers()), marks: []int64{early, late}, heap: make([]atomic.Uint64, 2)}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if _, err := r.Run(ctx, h); err != nil {
				t.Fatal(err)
			}
			if n := h.calls.Load(); n != late+100 {
				t.Fatalf("%d calls recorded, want %d", n, late+100)
			}
			a, b := h.heap[0].Load(), h.heap[1].Load()
			t.Logf("%s: live heap %d KiB after %d calls, %d KiB after %d", engine, a>>10, early, b>>10, late)
			if b > a+512<<10 {
				t.Errorf("the live heap grew by %d KiB from call %d to call %d: %.0f bytes a call kept",
					(b-a)>>10, early, late, float64(b-a)/(late-early))
			}
		})
	}
}
