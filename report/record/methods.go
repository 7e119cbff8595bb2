package record

import (
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

var _ runner.MixRecorder = (*Recorder)(nil)

// MixMethod names a method of a mix for its Summary.
type MixMethod struct {
	Method string
	Weight float64
}

// NewMix returns a Recorder of a run of several methods (runner.NewMix),
// kinds[i] being the kind of method i: each method's calls go to shards of
// its own, so its figures are as exact as the totals, which add up every
// shard. Memory grows with the methods, not with the calls.
func NewMix(kinds []event.Kind, workers int) *Recorder {
	r := New(event.MixKind(kinds), workers)
	n := len(r.shards)
	r.shards = r.shards[:0]
	r.methods = make([][]*shard, len(kinds))
	for m, kind := range kinds {
		r.methods[m] = make([]*shard, n)
		for i := range n {
			s := newShard(kind)
			r.methods[m][i] = s
			r.shards = append(r.shards, s)
		}
	}
	r.kinds = kinds
	return r
}

// NewMixManual is NewMix with the timeline ticked by Tick and the time
// read from now (as NewManual).
func NewMixManual(kinds []event.Kind, workers int, now func() time.Time) *Recorder {
	r := NewMix(kinds, workers)
	r.manualTicks, r.now = true, now
	return r
}

// MethodWorker returns the recorder of worker id's calls of method (an
// index in the kinds given to NewMix; any method for a Recorder from New).
func (r *Recorder) MethodWorker(id, conn, method int) runner.WorkerRecorder {
	id, conn = max(id, 0), max(conn, 0)
	shards := r.shards
	if method >= 0 && method < len(r.methods) {
		shards = r.methods[method]
	}
	s := shards[id%len(shards)]
	s.addConn(conn)
	return &workerRecorder{r: r, shard: s, conn: conn}
}

// methodSummaries is each method's part of a mix; window is what rates
// are over.
func (r *Recorder) methodSummaries(meta Meta, windowSeconds float64) []report.MethodSummary {
	out := make([]report.MethodSummary, len(r.methods))
	for i, shards := range r.methods {
		m := mergeShards(shards)
		ms := report.MethodSummary{
			Kind: r.kinds[i], Count: m.count, OK: m.count - m.errors, Errors: m.errors,
			StatusCodes: m.statusCodes(), Latency: report.NewHistogram(m.latency),
			ServiceTime: report.NewHistogram(m.service), Messages: report.Messages{Sent: m.sent, Received: m.received},
			Series: map[string]*report.Histogram{}, ErrorsByMessage: m.errorCounts(),
		}
		if i < len(meta.Mix) {
			ms.Method, ms.Weight = meta.Mix[i].Method, meta.Mix[i].Weight
		}
		if windowSeconds > 0 {
			ms.RPS = float64(m.count) / windowSeconds
		}
		for j, h := range m.series {
			if h != nil {
				ms.Series[event.Series(j).String()] = report.NewHistogram(h)
			}
		}
		if ms.Kind.Streaming() {
			ms.Series[report.SeriesStreamDuration] = report.NewHistogram(m.service.Clone())
		}
		out[i] = ms
	}
	return out
}
