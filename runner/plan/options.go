package plan

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Options is everything a run needs besides the method and its data. The
// same struct is echoed into the report (with secrets redacted there).
type Options struct {
	Target   Target   `json:"target"`
	Metadata Metadata `json:"metadata"`
	Load     Load     `json:"load"`
	Call     Call     `json:"call"`
}

// Load is the shape of the load.
type Load struct {
	// Concurrency is the number of workers; in closed loop each keeps one
	// call in flight.
	Concurrency int `json:"concurrency"`
	// Connections is the number of HTTP/2 connections the workers share
	// (worker i uses connection i mod Connections).
	Connections int `json:"connections"`
	// Total is the number of recorded calls (streams, for streaming kinds);
	// 0 means no limit.
	Total int64 `json:"total,omitempty"`
	// Duration is how long calls are started after warm-up; 0 means until
	// Total, the end of a ramp or of the stages, or an interrupt.
	Duration time.Duration `json:"duration_ns,omitempty"`
	// Warmup runs calls that are not recorded before measurement starts.
	Warmup time.Duration `json:"warmup_ns,omitempty"`
	// RPS is a constant target rate (calls started per second); 0 means
	// closed loop unless Schedule is set.
	RPS float64 `json:"rps,omitempty"`
	// Schedule is a changing target rate (step or ramp).
	Schedule Schedule `json:"schedule"`
	// Stages is open loop with a rate moving linearly from stage to stage,
	// starting from RPS (0 when unset); the run ends with the last stage.
	Stages Stages `json:"stages,omitempty"`
	// ConcurrencyStages is closed loop with a number of workers moving
	// linearly from stage to stage, starting from 0; the run ends with the
	// last stage. A worker retired between stages finishes its call first.
	ConcurrencyStages Stages `json:"concurrency_stages,omitempty"`
	// MaxInflight caps calls in flight in open loop; 0 means Concurrency.
	MaxInflight int `json:"max_inflight,omitempty"`
	// StallTimeout ends the run when calls are in flight and none has
	// started or ended, and no stream message has gone or come, for this
	// long, plus Call.StreamInterval (Outcome.Stalled); 0 means never.
	StallTimeout time.Duration `json:"stall_timeout_ns,omitempty"`
	// ReconnectEvery closes each pool connection after this many calls and
	// dials a new one in its place (1: a connection per call); the calls
	// that come meanwhile wait for it, and their latency includes the dial.
	// 0 means connections live for the whole run.
	ReconnectEvery int64 `json:"reconnect_every,omitempty"`
}

// Call is how each call is made.
type Call struct {
	// Timeout is the deadline of each call; 0 means none. None is the
	// default: a deadline costs the client and the server a timer and a
	// context per call (about a tenth of the calls per second on loopback),
	// and the run's drain limit already bounds calls that never end.
	Timeout time.Duration `json:"timeout_ns"`
	// Messages is how many messages a client or bidi stream sends.
	Messages int `json:"messages"`
	// StreamInterval is the pause between the sends of one stream.
	StreamInterval time.Duration `json:"stream_interval_ns,omitempty"`
	// Template makes the data a Go text/template, rendered for every call
	// (every message of a client or bidi stream), and the metadata values
	// that hold "{{" templates rendered for every call.
	Template bool `json:"template,omitempty"`
	// TemplateEnv lets templates read environment variables (sprig's env
	// and expandenv); without it a template that calls them is refused, so
	// that a data file from someone else cannot send the user's tokens.
	TemplateEnv bool `json:"template_env,omitempty"`
	// Seed seeds the templates' random functions; each worker draws from a
	// stream of its own (seed and worker number), so the same seed repeats a
	// run's data. 0 means pick one at random; New records the one picked.
	Seed int64 `json:"seed,omitempty"`
	// StreamPacing is how a bidi stream sends: PacingPipeline ("" too)
	// sends without waiting for answers; PacingPingPong sends each message
	// only once the answer to the one before has come.
	StreamPacing string `json:"stream_pacing,omitempty"`
	// StreamDuration ends each client or bidi stream's sending this long
	// after the stream started (whichever comes first with Messages); 0
	// means no time limit.
	StreamDuration time.Duration `json:"stream_duration_ns,omitempty"`
	// Compress names the codec request messages are compressed with
	// (grpc-encoding; Compressors lists them); "" sends them uncompressed.
	// A server may then compress its responses too, which are accepted.
	Compress string `json:"compress,omitempty"`
}

// Compressors are the --compress codecs: those grpc-go registers itself.
var Compressors = []string{"gzip"}

// CheckCompress refuses a --compress codec that is not one of Compressors
// ("" is none, and passes).
func CheckCompress(name string) error {
	if name == "" || slices.Contains(Compressors, name) {
		return nil
	}
	return fmt.Errorf("--compress %q is not a codec grpcpulse has; use %s", name, strings.Join(Compressors, " or "))
}

// DefaultStallTimeout is --stall-timeout's default.
const DefaultStallTimeout = time.Minute

// The stream pacings of bidi streams.
const (
	PacingPipeline = "pipeline"
	PacingPingPong = "pingpong"
)

// MaxRate is the highest rate, in calls per second, a run accepts (--rps,
// --schedule, --stages): a call every 100ns, far above what any gRPC client
// issues, and where a due time truncated to the nanosecond is still within
// 1% of its gap (above it the report's figures would be arithmetic, not
// measurement: gaps rounding to 1ns, counts saturating).
const MaxRate = 1e7

// maxMessages bounds --messages: a bidi stream keeps the send time of each
// message until a response matches it.
const maxMessages = 1_000_000

// maxWorkers bounds -c: each worker is a goroutine holding a call.
const maxWorkers = 100_000

// OpenLoop reports whether calls follow a rate rather than each other.
func (l *Load) OpenLoop() bool { return l.RPS > 0 || l.Schedule.Kind != "" || len(l.Stages) > 0 }

// Workers is the number of worker goroutines: Concurrency, or MaxInflight
// in open loop when it is set, or the most that ConcurrencyStages asks for.
func (l *Load) Workers() int {
	if len(l.ConcurrencyStages) > 0 {
		return int(math.Ceil(l.ConcurrencyStages.Max(0)))
	}
	if l.OpenLoop() && l.MaxInflight > 0 {
		return l.MaxInflight
	}
	return l.Concurrency
}

// Validate reports impossible or contradictory load settings.
func (l *Load) Validate() error {
	if err := l.validateStages(); err != nil {
		return err
	}
	switch {
	case l.Concurrency < 1:
		return fmt.Errorf("-c must be at least 1, not %d", l.Concurrency)
	case l.Connections < 1:
		return fmt.Errorf("--connections must be at least 1, not %d", l.Connections)
	case l.Connections > l.Workers():
		return fmt.Errorf("--connections %d is more than the %d workers that would use them", l.Connections, l.Workers())
	case l.Total < 0:
		return errors.New("-n must not be negative")
	case l.Duration < 0 || l.Warmup < 0:
		return errors.New("-z and --warmup must not be negative")
	case l.RPS < 0 || math.IsNaN(l.RPS) || math.IsInf(l.RPS, 0):
		return fmt.Errorf("--rps must be positive, not %g", l.RPS)
	case l.RPS > MaxRate:
		return fmt.Errorf("--rps %g is above %g calls per second, the most a run paces (due times are kept to the nanosecond)", l.RPS, float64(MaxRate))
	case max(l.Schedule.Start, l.Schedule.Max, l.Schedule.From, l.Schedule.To) > MaxRate:
		return fmt.Errorf("--schedule %s: a rate above %g calls per second, the most a run paces", l.Schedule.String(), float64(MaxRate))
	case len(l.Stages) > 0 && l.Stages.Max(l.RPS) > MaxRate:
		return fmt.Errorf("--stages: a rate above %g calls per second, the most a run paces", float64(MaxRate))
	case l.Concurrency > maxWorkers || l.MaxInflight > maxWorkers:
		return fmt.Errorf("-c and --max-inflight must be at most %d", maxWorkers)
	case l.RPS > 0 && l.Schedule.Kind != "":
		return errors.New("--rps and --schedule both set the rate; use one")
	case l.Total > 0 && l.Schedule.Kind != "":
		return errors.New("-n cannot be combined with --schedule: a schedule's shape is in time; use -z")
	case l.StallTimeout < 0:
		return errors.New("--stall-timeout must not be negative")
	case l.MaxInflight < 0:
		return errors.New("--max-inflight must not be negative")
	case l.ReconnectEvery < 0:
		return fmt.Errorf("--reconnect-every must be 1 or more calls (0: never), not %d", l.ReconnectEvery)
	case l.MaxInflight > 0 && !l.OpenLoop():
		return errors.New("--max-inflight applies to open loop (--rps or --schedule); in closed loop -c is the number in flight")
	}
	return nil
}

// validateStages reports --stages and --concurrency-stages set wrongly, or
// combined with what they cannot be.
func (l *Load) validateStages() error {
	for _, s := range []struct {
		name   string
		stages Stages
	}{{"--stages", l.Stages}, {"--concurrency-stages", l.ConcurrencyStages}} {
		if len(s.stages) == 0 {
			continue
		}
		if err := s.stages.check(); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		switch total := s.stages.Total(); {
		case l.Duration > 0 && l.Duration != total:
			return fmt.Errorf("%s last %s and end the run; leave out -z", s.name, total)
		case l.Total > 0:
			return fmt.Errorf("-n cannot be combined with %s: stages are shaped in time", s.name)
		case l.Schedule.Kind != "":
			return fmt.Errorf("--schedule and %s both shape the load; use one", s.name)
		}
	}
	switch {
	case len(l.Stages) > 0 && len(l.ConcurrencyStages) > 0:
		return errors.New("--stages (open loop, a rate) and --concurrency-stages (closed loop, workers) cannot be combined; use one")
	case len(l.ConcurrencyStages) > 0 && l.OpenLoop():
		return errors.New("--concurrency-stages is closed loop; it cannot be combined with --rps")
	case len(l.ConcurrencyStages) > 0 && l.ConcurrencyStages.Max(0) < 1:
		return errors.New("--concurrency-stages: no stage asks for a worker")
	case len(l.ConcurrencyStages) > 0 && l.ConcurrencyStages.Max(0) > maxWorkers:
		return fmt.Errorf("--concurrency-stages: at most %d workers", maxWorkers)
	case len(l.Stages) > 0 && l.Stages.Max(l.RPS) <= 0:
		return errors.New("--stages: the rate is 0 throughout")
	}
	return nil
}

// Validate reports impossible per-call settings.
func (c *Call) Validate() error {
	switch {
	case c.Timeout < 0:
		return errors.New("--timeout must not be negative")
	case c.Messages == 0 && c.StreamDuration == 0:
		return errors.New("--messages 0 (no count limit) needs --stream-duration to end the streams")
	case c.Messages < 0 || c.Messages > maxMessages:
		return fmt.Errorf("--messages must be from 1 to %d, not %d", maxMessages, c.Messages)
	case c.StreamInterval < 0:
		return errors.New("--stream-interval must not be negative")
	case c.StreamPacing != "" && c.StreamPacing != PacingPipeline && c.StreamPacing != PacingPingPong:
		return fmt.Errorf("--stream-pacing must be pipeline or pingpong, not %q", c.StreamPacing)
	case c.StreamDuration < 0:
		return errors.New("--stream-duration must not be negative")
	case c.TemplateEnv && !c.Template:
		return errors.New("--template-env lets templates read the environment: it needs --template")
	case CheckCompress(c.Compress) != nil:
		return CheckCompress(c.Compress)
	case c.StreamDuration > 0 && c.Messages == 1:
		return errors.New("--stream-duration ends streams by time, but --messages 1 ends them after one message: give --messages 0 (no count limit) or a count above 1 (whichever comes first)")
	}
	return nil
}
