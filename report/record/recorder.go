package record

import (
	"runtime"
	"sync"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/runner"
)

var (
	_ runner.Recorder    = (*Recorder)(nil)
	_ runner.CutRecorder = (*Recorder)(nil)
)

// maxShards caps the shards of a Recorder. Recording holds a shard's lock for
// well under a microsecond per call, so a few shards serve any call rate a
// single process reaches, and each shard costs up to 8 dense histograms.
const maxShards = 16

// Recorder measures a run in memory that does not grow with the number of
// calls: shards of HdrHistograms and counters, and a per-second timeline.
// It implements runner.Recorder.
//
// Begin, End and Worker may be called from any goroutine, Worker
// concurrently. Each WorkerRecorder must be used from one goroutine at a
// time. Snapshot and Summary are safe for concurrent use during the run.
type Recorder struct {
	kind   event.Kind
	shards []*shard // every shard: the totals add them all up

	// methods are the shards of each method of a mix (NewMix), and kinds
	// their kinds; nil for a run of one method.
	methods [][]*shard
	kinds   []event.Kind

	// manualTicks keeps Begin from starting the ticker; tests call tick.
	manualTicks bool
	now         func() time.Time

	tickMu   sync.Mutex              // serialises folding seconds into the timeline
	tickHist *hdrhistogram.Histogram // scratch of one fold, guarded by tickMu
	next     int                     // the first second not folded, guarded by tickMu

	// events are the connection events (ConnEvent). Their lock is never
	// held while a shard's is taken, nor the other way round.
	events eventLog

	mu       sync.Mutex // guards the fields below
	begun    bool
	ended    bool
	begin    time.Time
	end      time.Time
	timeline []report.Point
	lastRPS  float64
	lastP99  time.Duration
	stop     chan struct{}
	done     chan struct{}
	begunCh  chan struct{} // closed by Begin (or End without Begin)
}

// New returns a Recorder for calls of kind made by workers workers.
// The workers count only sizes the shards; any worker id is accepted.
func New(kind event.Kind, workers int) *Recorder {
	n := min(workers, runtime.GOMAXPROCS(0), maxShards)
	n = max(n, 1)
	r := &Recorder{kind: kind, shards: make([]*shard, n), now: time.Now, tickHist: report.NewHDR(), begunCh: make(chan struct{})}
	r.events.reconnect, r.events.backoff = report.NewHDR(), newMedianSpread()
	for i := range r.shards {
		r.shards[i] = newShard(kind)
	}
	return r
}

// NewManual returns a Recorder that reads the time from now and builds its
// timeline only when Tick is called, not from a ticker: for replaying a run
// whose times are known (the tests of the packages that read Summaries).
func NewManual(kind event.Kind, workers int, now func() time.Time) *Recorder {
	r := New(kind, workers)
	r.manualTicks, r.now = true, now
	return r
}

// Tick folds the timeline's seconds that ended by now, as the ticker Begin
// starts does once a second. Only a Recorder made by NewManual needs it.
func (r *Recorder) Tick(now time.Time) {
	r.mu.Lock()
	begin, begun := r.begin, r.begun
	r.mu.Unlock()
	if begun {
		r.foldBefore(int(now.Sub(begin)/time.Second), 0)
	}
}

// Begun is closed when measurement begins (Begin, or End without Begin):
// what runs timed from the start of measurement wait for.
func (r *Recorder) Begun() <-chan struct{} { return r.begunCh }

// Begin marks the start of measurement (after any warm-up) and starts the
// once-a-second ticker that builds the timeline. Calls later than the first
// are ignored.
func (r *Recorder) Begin(start time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.begun {
		return
	}
	r.begun, r.begin = true, start
	r.events.setBegin(start)
	r.beginShards(start)
	close(r.begunCh)
	if r.manualTicks || !nearNow(start) {
		return
	}
	r.stop, r.done = make(chan struct{}), make(chan struct{})
	go r.tickLoop(start, r.stop, r.done)
}

// End marks the end of measurement: it stops the ticker and takes the last,
// partial, second of the timeline. Call it once, after the last Call has
// returned.
func (r *Recorder) End(end time.Time) {
	r.mu.Lock()
	if r.ended {
		r.mu.Unlock()
		return
	}
	if !r.begun {
		r.begun, r.begin = true, end
		r.events.setBegin(end)
		r.beginShards(end)
		close(r.begunCh)
	}
	stop, done, begin := r.stop, r.done, r.begin
	r.stop, r.done = nil, nil
	r.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
	r.foldAll(begin, end)
	r.mu.Lock()
	r.ended, r.end = true, end
	r.mu.Unlock()
}

// nearNow reports whether t is within a minute of the clock: a start of
// measurement the ticker can follow. A replayed run's start is not; its
// timeline is folded by End (and by workers whose calls need the room).
func nearNow(t time.Time) bool {
	d := time.Since(t)
	return d > -time.Minute && d < time.Minute
}

// beginShards tells the shards when measurement began, for the timeline
// seconds of their calls. The caller holds r.mu.
func (r *Recorder) beginShards(begin time.Time) {
	for _, s := range r.shards {
		s.mu.Lock()
		s.begun, s.begin = true, begin
		s.mu.Unlock()
	}
}

// Worker returns the recorder of worker id, which calls over pool
// connection conn. It may be called concurrently, before or after Begin.
func (r *Recorder) Worker(id, conn int) runner.WorkerRecorder {
	if r.methods != nil {
		return r.MethodWorker(id, conn, 0)
	}
	id, conn = max(id, 0), max(conn, 0)
	s := r.shards[id%len(r.shards)]
	s.addConn(conn)
	return &workerRecorder{r: r, shard: s, conn: conn}
}

// workerRecorder records one worker's calls into its shard. Its error cache
// is touched only by the worker's goroutine.
type workerRecorder struct {
	r     *Recorder
	shard *shard
	conn  int

	// The last failure's raw and normalised message: failing calls tend to
	// fail alike, and normalising costs a few regular expressions.
	lastRaw, lastNorm string

	_ [64]byte // keeps workers' caches off each other's cache lines
}

// Call records a finished call. It does not allocate when the call
// succeeded; a failed call is also counted by the transport cause the
// worker stamped on it (CallStats.Cause, from runner/conn's one table).
func (w *workerRecorder) Call(c *runner.CallStats) {
	var key errorKey
	var raw string
	if c.Code != codes.OK {
		raw, key = w.messages(c.Code, c.Err)
	}
	s := w.shard
	for {
		s.mu.Lock()
		ok := s.recordCall(c, w.conn, key, raw)
		sec := s.secondOf(c.End)
		s.mu.Unlock()
		if ok {
			return
		}
		// The ticker is late (a paused client): fold the seconds that
		// hold the call's slot, as the ticker would have.
		w.r.foldBefore(sec-numSlots+1, 0)
	}
}

// Message records one per-message measurement of the stream in progress;
// series the kind does not have are ignored. It does not allocate.
func (w *workerRecorder) Message(series event.Series, d time.Duration) {
	if series >= event.NumSeries {
		return
	}
	s := w.shard
	s.mu.Lock()
	if h := s.series[series]; h != nil {
		s.seriesSum[series] += record(h, d)
	}
	s.mu.Unlock()
}

// messages returns the raw status message of a failed call's error and its
// key by code and normalised message.
func (w *workerRecorder) messages(code codes.Code, err error) (string, errorKey) {
	code = codes.Code(report.FoldCode(event.Code(code)))
	if err == nil {
		return "", errorKey{code: code}
	}
	raw := status.Convert(err).Message()
	if raw != w.lastRaw || w.lastNorm == "" {
		// Only what is kept is normalised: the regular expressions cost
		// time by the byte, and a server may send megabytes.
		w.lastRaw, w.lastNorm = raw, normalizeMessage(report.MessageHead(raw))
		if report.MessageTooLong(raw) {
			w.lastNorm += report.MessageTail(len(raw))
		}
	}
	return raw, errorKey{code: code, msg: w.lastNorm}
}
