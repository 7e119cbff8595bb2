package runner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// Entry is one method of a weighted mix (NewMix).
type Entry struct {
	Method   protoreflect.MethodDescriptor
	Requests *data.Requests
	// Headers ("key: value") go with this method's calls, after the run's
	// Options.Metadata.Headers.
	Headers []string
	// Weight is the method's share of the calls, relative to the other
	// entries' weights: finite, 0 or more, whole or not; 0 means the
	// method is never called.
	Weight float64
	// Messages is how many messages a client or bidi stream of this method
	// sends; 0 means Options.Call.Messages.
	Messages int
}

// MixRecorder is a Recorder that keeps the methods of a mix apart: a worker
// records each call, and its messages, into the WorkerRecorder of the
// method it called. A Recorder that is not one records every method as one.
type MixRecorder interface {
	MethodWorker(id, conn, method int) WorkerRecorder
}

// mixEntry is an Entry as the run uses it.
type mixEntry struct {
	kind event.Kind
	path string
	reqs *data.Requests
	md   metadata.MD
	opts *plan.Options // the run's, with the entry's Messages
	cum  float64       // the weights of this entry and those before it
	tmpl data.RunTemplates
}

// NewMix prepares a run in which each call picks one of entries, at random
// in proportion to their weights, over the same connections and workers.
// Each worker draws from its own random source (seeded by Seed and its id),
// so a pick costs no lock and no allocation. Like New it trusts opts to
// have been validated; it checks each entry against its method's kind.
func NewMix(opts plan.Options, entries []Entry) (*Runner, error) {
	if len(entries) == 0 {
		return nil, errors.New("a mix needs at least one method")
	}
	first := opts
	if k := KindOf(entries[0].Method); k != event.ClientStream && k != event.Bidi {
		first.Call.Messages, first.Call.StreamInterval = 1, 0
	}
	r, err := New(first, entries[0].Method, entries[0].Requests)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", entries[0].Method.FullName(), err)
	}
	opts.Load = r.opts.Load           // with New's defaults
	r.Seed = uint64(r.opts.Call.Seed) // --seed repeats the picks too (with -c 1)
	var cum float64
	whole := true // every weight a whole number: picks as Uint64N (see pick)
	for _, e := range entries {
		kind := KindOf(e.Method)
		o := opts // each entry's own copy
		if kind != event.ClientStream && kind != event.Bidi {
			o.Call.Messages, o.Call.StreamInterval = 1, 0 // the run's --messages is for its streams
		}
		if e.Messages > 0 {
			o.Call.Messages = e.Messages
		}
		if err := CheckKind(&o.Call, kind); err != nil {
			return nil, fmt.Errorf("%s: %w", e.Method.FullName(), err)
		}
		if math.IsNaN(e.Weight) || math.IsInf(e.Weight, 0) || e.Weight < 0 {
			return nil, fmt.Errorf("%s: the weight must be a finite number, 0 or more, not %g", e.Method.FullName(), e.Weight)
		}
		md, err := (&plan.Metadata{Headers: e.Headers, LookupEnv: opts.Metadata.LookupEnv, Expand: opts.Metadata.Expand}).Call()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Method.FullName(), err)
		}
		cum += e.Weight
		whole = whole && e.Weight == math.Trunc(e.Weight)
		tr := data.RunTemplates{Seed: r.opts.Call.Seed, Method: data.MethodData(e.Method), Stream: kind == event.ClientStream || kind == event.Bidi, Headers: r.tmpl.Headers}
		r.mix = append(r.mix, mixEntry{kind: kind, path: FullMethod(e.Method), reqs: e.Requests, md: md, opts: &o, cum: cum, tmpl: tr})
	}
	if cum == 0 {
		return nil, errors.New("every method of the mix has weight 0")
	}
	if math.IsInf(cum, 0) {
		return nil, fmt.Errorf("the weights of the mix add up to more than %g", math.MaxFloat64)
	}
	r.mixWhole = whole && cum <= 1<<53
	for i := range r.mix {
		if r.mix[i].cum > r.mix[r.mixLast].cum {
			r.mixLast = i
		}
	}
	return r, nil
}

// Methods is how many methods the run calls (1 unless built by NewMix).
func (r *Runner) Methods() int { return max(len(r.mix), 1) }

// workerEntry is one worker's view of a mix entry.
type workerEntry struct {
	*mixEntry
	reqs data.Worker
	rec  WorkerRecorder
	ctx  context.Context
	md   metadata.MD // the metadata in ctx
}

// setMix gives w its view of the run's mix (nothing when there is none).
// ctx is the context of the run's calls, carrying its metadata.
func (w *worker) setMix(ctx context.Context, rec Recorder) {
	md, _ := metadata.FromOutgoingContext(ctx)
	w.md = md
	if len(w.Runner.mix) == 0 {
		return
	}
	mr, _ := rec.(MixRecorder)
	w.mix = make([]workerEntry, len(w.Runner.mix))
	for i := range w.Runner.mix {
		e := &w.Runner.mix[i]
		we := workerEntry{mixEntry: e, reqs: e.reqs.ForWorker(w.id, &e.tmpl), rec: w.rec, ctx: ctx, md: md}
		if mr != nil {
			we.rec = mr.MethodWorker(w.id, w.conn, i)
		}
		if len(e.md) > 0 {
			we.md = metadata.Join(md, e.md)
			we.ctx = metadata.NewOutgoingContext(ctx, we.md)
		}
		w.mix[i] = we
	}
	w.rng = rand.New(rand.NewPCG(w.Seed, uint64(w.id)))
	w.pick()
}

// pick chooses the method of the worker's next call by weight and makes
// it the worker's; it returns the context to call it with. x is uniform in
// [0, sum of the weights): with whole weights (summing to at most 2^53,
// where a float64 is exact) an integer drawn as the weights were before
// they could be fractions, so that a --seed repeats the same picks; else
// the draw's top 53 bits scaled to the sum. The method is the first whose
// cumulative weight is above x, never one after the last of weight above 0
// (a scaled x can round up to the sum).
func (w *worker) pick() context.Context {
	i := 0
	if len(w.mix) > 1 {
		total := w.mix[len(w.mix)-1].cum
		var x float64
		if w.Runner.mixWhole {
			x = float64(w.rng.Uint64N(uint64(total)))
		} else {
			x = float64(w.rng.Uint64()>>11) / (1 << 53) * total
		}
		for i < w.Runner.mixLast && x >= w.mix[i].cum {
			i++
		}
	}
	e := &w.mix[i]
	w.entry, w.kind, w.path, w.opts, w.reqs, w.rec, w.md = i, e.kind, e.path, e.opts, e.reqs, e.rec, e.md
	return e.ctx
}
