package cli

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// The flags of a run's description (runner/plan): the one place they are
// bound, to the plan's fields, with their defaults and help.

// AddLoadFlags binds the load flags.
func AddLoadFlags(fs *pflag.FlagSet, l *plan.Load) {
	fs.IntVarP(&l.Concurrency, "concurrency", "c", 50, "workers (closed loop: calls in flight)")
	fs.IntVar(&l.Connections, "connections", 1, "HTTP/2 connections the workers share")
	fs.Int64Var(&l.ReconnectEvery, "reconnect-every", 0, "close each connection after this many calls and dial a new one (1: a connection per call; 0: never); calls wait for it and their latency includes it")
	fs.Int64VarP(&l.Total, "total", "n", 0, "recorded calls (streams) to make, at least 1 (-n 0 is refused); without -n: until -z, the schedule's end or Ctrl-C")
	fs.DurationVarP(&l.Duration, "duration", "z", 0, "how long to start calls; 0: until -n or interrupted")
	fs.DurationVar(&l.Warmup, "warmup", 0, "run this long before recording")
	FiniteFloat64Var(fs, &l.RPS, "rps", 0, "open loop: start calls at this constant rate per second")
	fs.Var(&l.Schedule, "schedule", "open loop with a changing rate: step:START,STEP,EVERY,MAX or ramp:FROM,TO,OVER")
	fs.Var(&l.Stages, "stages", "open loop in stages DUR:RATE,...: the rate moves linearly to each RATE over its DUR, from --rps (or 0); the run ends with the last stage")
	fs.Var(&l.ConcurrencyStages, "concurrency-stages", "closed loop in stages DUR:N,...: the workers in use move linearly to each N over its DUR, from 0; the run ends with the last stage")
	fs.IntVar(&l.MaxInflight, "max-inflight", 0, "open loop: most calls in flight (default -c)")
	fs.DurationVar(&l.StallTimeout, "stall-timeout", plan.DefaultStallTimeout, "end the run when, with calls in flight, no call ends and no stream message moves for this long (0: never)")
}

// AddCallFlags binds the per-call flags of a run.
func AddCallFlags(fs *pflag.FlagSet, c *plan.Call) {
	fs.DurationVar(&c.Timeout, "timeout", 0, "deadline of each call (0: none; a deadline costs client and server a timer per call)")
	fs.IntVar(&c.Messages, "messages", 1, "messages each client or bidi stream sends (0 with --stream-duration: no count limit)")
	fs.DurationVar(&c.StreamInterval, "stream-interval", 0, "pause between the sends of a stream")
	fs.StringVar(&c.StreamPacing, "stream-pacing", plan.PacingPipeline, "bidi: pipeline (send without waiting for answers) or pingpong (send each message once the answer to the one before came)")
	fs.DurationVar(&c.StreamDuration, "stream-duration", 0, "end each client or bidi stream's sending after this long (or --messages, whichever comes first)")
	fs.BoolVar(&c.Template, "template", false, "treat -d and -H values as Go templates rendered per call and per stream message (ghz's {{.RequestNumber}}, {{.WorkerID}}, {{newUUID}}, {{randomInt 1 100}}, {{randomString 8}}, {{.MessageNumber}}, sprig functions)")
	fs.BoolVar(&c.TemplateEnv, "template-env", false, "let --template templates read environment variables (sprig's env and expandenv); without it a template calling them is refused")
	AddCompressFlag(fs, &c.Compress)
	fs.Int64Var(&c.Seed, "seed", 0, "seed of the templates' random functions; the same seed repeats a run's data (0: pick one, shown in the report)")
}

// AddCompressFlag binds --compress (run and call).
func AddCompressFlag(fs *pflag.FlagSet, name *string) {
	fs.StringVar(name, "compress", "", "compress request messages with this `codec`: "+strings.Join(plan.Compressors, ", ")+" (responses may come compressed too)")
	SetValues(fs, "compress", plan.Compressors...)
}

// AddTargetFlags binds the transport flags (all but Addr, which is positional).
func AddTargetFlags(fs *pflag.FlagSet, t *plan.Target) {
	fs.BoolVar(&t.Plaintext, "plaintext", false, "connect without TLS")
	fs.BoolVar(&t.Insecure, "insecure", false, "use TLS but skip verification of the server's certificate")
	fs.StringVar(&t.CACert, "cacert", "", "PEM `file` of CA certificates that verify the server (at most 4 MiB)")
	fs.StringVar(&t.Cert, "cert", "", "PEM client certificate `file` (mutual TLS; needs --key; at most 4 MiB)")
	fs.StringVar(&t.Key, "key", "", "PEM client key `file` (mutual TLS; needs --cert; at most 4 MiB)")
	fs.StringVar(&t.Authority, "authority", "", "value of the :authority header, also the TLS server name")
	fs.DurationVar(&t.ConnectTimeout, "connect-timeout", plan.DefaultConnectTimeout, "how long to wait for a connection, and for each reflection answer (0: no limit)")
	fs.IntVar(&t.MaxMsgSize, "max-msg-size", 0, "largest message received, responses and reflection answers alike, in `bytes` (0: 4 MiB)")
	fs.StringVar(&t.UserAgent, "user-agent", "", "prepended to the user-agent header")
	fs.StringArrayVar(&t.Targets, "target", nil, "another `host:port` to balance calls over, with ADDR (repeatable)")
	fs.StringVar(&t.LBPolicy, "lb-policy", "", "how calls spread over the addresses: pick_first (default) or round_robin")
	addKeepaliveFlags(fs, &t.Keepalive)
	addBackoffFlags(fs, &t.Backoff)
	addRetryFlags(fs, &t.Retry)
}

// addKeepaliveFlags binds the keepalive flags.
func addKeepaliveFlags(fs *pflag.FlagSet, k *plan.Keepalive) {
	fs.DurationVar(&k.Time, "keepalive-time", 0, "send keepalive pings this often (0: off; grpc-go uses at least 10s)")
	positiveDurationVar(fs, &k.Timeout, "keepalive-timeout", 20*time.Second, "declare the connection dead when a ping is unanswered this long")
	fs.BoolVar(&k.PermitWithoutStream, "keepalive-permit-without-stream", false, "ping connections that have no calls in flight too")
}

// addBackoffFlags binds the connect backoff flags.
func addBackoffFlags(fs *pflag.FlagSet, b *plan.ConnectBackoff) {
	d := plan.DefaultBackoff
	positiveDurationVar(fs, &b.Base, "backoff-base", d.Base, "wait after the first failed connection attempt")
	positiveDurationVar(fs, &b.Max, "backoff-max", d.Max, "longest wait between connection attempts")
	FiniteFloat64Var(fs, &b.Multiplier, "backoff-multiplier", d.Multiplier, "growth of the wait after each failed attempt")
	FiniteFloat64Var(fs, &b.Jitter, "backoff-jitter", d.Jitter, "random spread of each wait, as a fraction (0 to 1)")
	positiveDurationVar(fs, &b.MinConnectTimeout, "min-connect-timeout", d.MinConnectTimeout, "least time one connection attempt is given")
}

// addRetryFlags binds the retry flags.
func addRetryFlags(fs *pflag.FlagSet, r *plan.Retry) {
	fs.IntVar(&r.MaxAttempts, "retry-max-attempts", 0, "retry failed calls: at most this many attempts (2-5; 0: no retries)")
	positiveDurationVar(fs, &r.InitialBackoff, "retry-initial-backoff", 100*time.Millisecond, "retry: wait before the first retry")
	positiveDurationVar(fs, &r.MaxBackoff, "retry-max-backoff", time.Second, "retry: longest wait between attempts")
	FiniteFloat64Var(fs, &r.Multiplier, "retry-backoff-multiplier", 2, "retry: growth of the wait after each attempt")
	fs.StringSliceVar(&r.Codes, "retry-codes", []string{"UNAVAILABLE"}, "retry: status codes to retry, comma separated")
	fs.StringVar(&r.ServiceConfig, "service-config", "", "service config `JSON` or @file (at most 1 MiB; instead of the --retry-* and --lb-policy flags)")
	fs.BoolVar(&r.WaitForReady, "wait-for-ready", false, "calls wait for a connection instead of failing at once while there is none")
}

// CheckRetryFlags refuses the --retry-* flags that tune a retry policy
// when there is none to tune, rather than let them do nothing: no
// --retry-max-attempts at all (setting it to 0 turns a scenario's policy
// off on purpose), a --service-config of its own, or --engine h2, which
// has no retry policy.
func CheckRetryFlags(fs *pflag.FlagSet, t *plan.Target) error {
	if t.Retry.MaxAttempts > 0 || fs.Changed("retry-max-attempts") {
		return nil
	}
	for _, name := range []string{"retry-codes", "retry-initial-backoff", "retry-max-backoff", "retry-backoff-multiplier"} {
		switch {
		case !fs.Changed(name):
		case t.EngineName() == plan.EngineH2:
			return UsageErrorf("--%s cannot be used with --engine h2: retry policies are grpc-go's", name)
		case t.Retry.ServiceConfig != "":
			return UsageErrorf("--%s tunes the flags' retry policy, and --service-config brings its own: drop --%s", name, name)
		default:
			return UsageErrorf("--%s tunes the retry policy that --retry-max-attempts N (2-5) turns on: give both, or neither", name)
		}
	}
	return nil
}

// AddMetadataFlags binds -H, --reflect-header and --expand-headers.
func AddMetadataFlags(fs *pflag.FlagSet, m *plan.Metadata) {
	fs.StringArrayVarP(&m.Headers, "header", "H", nil, "request metadata `'key: value'` for calls and reflection (repeatable)")
	fs.StringArrayVar(&m.ReflectHeaders, "reflect-header", nil, "metadata `'key: value'` for reflection requests only (repeatable)")
	fs.BoolVar(&m.Expand, "expand-headers", false, "replace ${NAME} in header values with environment variable NAME")
	fs.StringArrayVar(&m.Redact, "redact-header", nil, "header `key` whose value reports must not show (repeatable; authorization, cookies and token/secret/key-like keys always are)")
}

// positiveDuration is a duration flag that refuses zero and negative values,
// for settings where 0 would break things rather than mean "off" (a
// keepalive timeout of 0 would fail every ping). The field's zero value, in
// code, keeps meaning grpc-go's default.
type positiveDuration struct{ d *time.Duration }

func positiveDurationVar(fs *pflag.FlagSet, d *time.Duration, name string, value time.Duration, usage string) {
	*d = value
	fs.Var(positiveDuration{d}, name, usage)
}

func (p positiveDuration) String() string {
	if p.d == nil {
		return "0s"
	}
	return p.d.String()
}

func (p positiveDuration) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	if d <= 0 {
		return fmt.Errorf("must be positive, not %s", d)
	}
	*p.d = d
	return nil
}

func (positiveDuration) Type() string { return "duration" }

// FiniteFloat64Var binds a float flag that refuses NaN and ±Inf, which
// strconv.ParseFloat (and so pflag's Float64Var) accepts: a backoff
// multiplier of NaN makes every wait zero, a reconnect storm.
func FiniteFloat64Var(fs *pflag.FlagSet, p *float64, name string, value float64, usage string) {
	*p = value
	fs.Var(finiteFloat{p}, name, usage)
}

type finiteFloat struct{ f *float64 }

func (v finiteFloat) String() string {
	if v.f == nil {
		return "0"
	}
	return strconv.FormatFloat(*v.f, 'g', -1, 64)
}

func (v finiteFloat) Set(s string) error {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return fmt.Errorf("%q is not a number", s)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("must be a finite number, not %s", s)
	}
	*v.f = f
	return nil
}

func (finiteFloat) Type() string { return "float" }
