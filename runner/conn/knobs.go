package conn

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/keepalive"
)

// MinKeepaliveTime is the shortest client keepalive interval grpc-go uses:
// it raises anything shorter to this.
const MinKeepaliveTime = 10 * time.Second

// Keepalive is the client's HTTP/2 keepalive.
type Keepalive struct {
	// Time is the interval of keepalive pings; 0 turns keepalive off.
	Time time.Duration `json:"time_ns,omitempty"`
	// Timeout is how long a ping may go unanswered before the connection is
	// declared dead (grpc-go also sets TCP_USER_TIMEOUT to it).
	Timeout time.Duration `json:"timeout_ns,omitempty"`
	// PermitWithoutStream pings connections with no calls too.
	PermitWithoutStream bool `json:"permit_without_stream,omitempty"`
}

// AddFlags binds the keepalive flags.
func (k *Keepalive) AddFlags(fs *pflag.FlagSet) {
	fs.DurationVar(&k.Time, "keepalive-time", 0, "send keepalive pings this often (0: off; grpc-go uses at least 10s)")
	positiveDurationVar(fs, &k.Timeout, "keepalive-timeout", 20*time.Second, "declare the connection dead when a ping is unanswered this long")
	fs.BoolVar(&k.PermitWithoutStream, "keepalive-permit-without-stream", false, "ping connections that have no calls in flight too")
}

// Validate reports impossible keepalive settings.
func (k *Keepalive) Validate() error {
	switch {
	case k.Time < 0:
		return errors.New("--keepalive-time must not be negative")
	case k.Timeout < 0:
		return errors.New("--keepalive-timeout must be positive")
	case k.PermitWithoutStream && k.Time == 0:
		return errors.New("--keepalive-permit-without-stream needs --keepalive-time")
	}
	return nil
}

// Effective is the interval grpc-go will really use (raised to
// MinKeepaliveTime); 0 when keepalive is off.
func (k *Keepalive) Effective() time.Duration {
	if k.Time == 0 {
		return 0
	}
	return max(k.Time, MinKeepaliveTime)
}

// Notes are the values grpc-go will change or that look like mistakes, said
// plainly for the report.
func (k *Keepalive) Notes() []string {
	var notes []string
	if k.Time > 0 && k.Time < MinKeepaliveTime {
		notes = append(notes, fmt.Sprintf("--keepalive-time %s is below grpc-go's minimum: it pings every %s", k.Time, MinKeepaliveTime))
	}
	if k.Time > 0 && k.Timeout > 0 && k.Timeout < time.Second {
		notes = append(notes, fmt.Sprintf("--keepalive-timeout %s is short: a GC pause or a busy CPU on either side can end a healthy connection", k.Timeout))
	}
	return notes
}

func (k *Keepalive) dialOptions() []grpc.DialOption {
	if k.Time == 0 {
		return nil
	}
	return []grpc.DialOption{grpc.WithKeepaliveParams(keepalive.ClientParameters{
		Time: k.Time, Timeout: k.Timeout, PermitWithoutStream: k.PermitWithoutStream})}
}

// ConnectBackoff is how the client waits between failed connection
// attempts. The defaults are grpc-go's.
type ConnectBackoff struct {
	Base       time.Duration `json:"base_ns"`
	Max        time.Duration `json:"max_ns"`
	Multiplier float64       `json:"multiplier"`
	Jitter     float64       `json:"jitter"`
	// MinConnectTimeout is the least time one connection attempt is given.
	MinConnectTimeout time.Duration `json:"min_connect_timeout_ns"`
}

// AddFlags binds the connect backoff flags.
func (b *ConnectBackoff) AddFlags(fs *pflag.FlagSet) {
	d := backoff.DefaultConfig
	positiveDurationVar(fs, &b.Base, "backoff-base", d.BaseDelay, "wait after the first failed connection attempt")
	positiveDurationVar(fs, &b.Max, "backoff-max", d.MaxDelay, "longest wait between connection attempts")
	FiniteFloat64Var(fs, &b.Multiplier, "backoff-multiplier", d.Multiplier, "growth of the wait after each failed attempt")
	FiniteFloat64Var(fs, &b.Jitter, "backoff-jitter", d.Jitter, "random spread of each wait, as a fraction (0 to 1)")
	positiveDurationVar(fs, &b.MinConnectTimeout, "min-connect-timeout", 20*time.Second, "least time one connection attempt is given")
}

// withDefaults fills the fields left zero with grpc-go's defaults.
func (b ConnectBackoff) withDefaults() ConnectBackoff {
	d := backoff.DefaultConfig
	if b.Base == 0 {
		b.Base = d.BaseDelay
	}
	if b.Max == 0 {
		b.Max = max(d.MaxDelay, b.Base)
	}
	if b.Multiplier == 0 {
		b.Multiplier = d.Multiplier
	}
	if b.MinConnectTimeout == 0 {
		b.MinConnectTimeout = 20 * time.Second
	}
	return b
}

// Validate reports impossible backoff settings; zero fields mean grpc-go's
// defaults.
func (b *ConnectBackoff) Validate() error {
	if !finite(b.Multiplier, b.Jitter) {
		return fmt.Errorf("--backoff-multiplier and --backoff-jitter must be numbers, not %g and %g", b.Multiplier, b.Jitter)
	}
	if b.Jitter < 0 || b.Jitter > 1 {
		return fmt.Errorf("--backoff-jitter must be between 0 and 1, not %g", b.Jitter)
	}
	if b.Multiplier != 0 && b.Multiplier < 1 {
		return fmt.Errorf("--backoff-multiplier must be at least 1, not %g", b.Multiplier)
	}
	v := b.withDefaults()
	switch {
	case v.Base < 0 || v.Max < 0 || v.MinConnectTimeout < 0:
		return errors.New("--backoff-base, --backoff-max and --min-connect-timeout must be positive")
	case v.Max < v.Base:
		return fmt.Errorf("--backoff-max %s is below --backoff-base %s", v.Max, v.Base)
	}
	return nil
}

func (b *ConnectBackoff) dialOptions() []grpc.DialOption {
	if *b == (ConnectBackoff{}) {
		return nil // not configured (a Target built in code): grpc-go's defaults
	}
	// Fields left zero take grpc-go's defaults: above all MinConnectTimeout,
	// which grpc-go would otherwise take as 0, giving each connection
	// attempt no more than the current backoff (20ms with a 20ms base) to
	// finish TCP, TLS and the HTTP/2 preface.
	v := b.withDefaults()
	b = &v
	return []grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{
		Backoff:           backoff.Config{BaseDelay: b.Base, Multiplier: b.Multiplier, Jitter: b.Jitter, MaxDelay: b.Max},
		MinConnectTimeout: b.MinConnectTimeout})}
}

// Retry is the calls' retry policy and wait-for-ready, or a whole service
// config of the user's.
type Retry struct {
	// MaxAttempts is the most attempts a call makes (grpc-go caps it at 5);
	// 0 means no retry policy.
	MaxAttempts    int           `json:"max_attempts,omitempty"`
	InitialBackoff time.Duration `json:"initial_backoff_ns,omitempty"`
	MaxBackoff     time.Duration `json:"max_backoff_ns,omitempty"`
	Multiplier     float64       `json:"backoff_multiplier,omitempty"`
	// Codes are the status codes that are retried, by name (UNAVAILABLE).
	Codes []string `json:"codes,omitempty"`
	// ServiceConfig is a service config JSON, or @file.
	ServiceConfig string `json:"service_config,omitempty"`
	// WaitForReady makes calls wait for a connection instead of failing.
	WaitForReady bool `json:"wait_for_ready,omitempty"`
}

// AddFlags binds the retry flags.
func (r *Retry) AddFlags(fs *pflag.FlagSet) {
	fs.IntVar(&r.MaxAttempts, "retry-max-attempts", 0, "retry failed calls: at most this many attempts (2-5; 0: no retries)")
	positiveDurationVar(fs, &r.InitialBackoff, "retry-initial-backoff", 100*time.Millisecond, "retry: wait before the first retry")
	positiveDurationVar(fs, &r.MaxBackoff, "retry-max-backoff", time.Second, "retry: longest wait between attempts")
	FiniteFloat64Var(fs, &r.Multiplier, "retry-backoff-multiplier", 2, "retry: growth of the wait after each attempt")
	fs.StringSliceVar(&r.Codes, "retry-codes", []string{"UNAVAILABLE"}, "retry: status codes to retry, comma separated")
	fs.StringVar(&r.ServiceConfig, "service-config", "", "service config `JSON` or @file (at most 1 MiB; instead of the --retry-* and --lb-policy flags)")
	fs.BoolVar(&r.WaitForReady, "wait-for-ready", false, "calls wait for a connection instead of failing at once while there is none")
}

// Validate reports impossible retry settings.
func (r *Retry) Validate() error {
	switch {
	case r.MaxAttempts < 0 || r.MaxAttempts == 1:
		return fmt.Errorf("--retry-max-attempts must be 0 (no retries) or at least 2, not %d", r.MaxAttempts)
	case r.MaxAttempts > 0 && r.ServiceConfig != "":
		return errors.New("--retry-* and --service-config both set a retry policy; use one")
	case r.InitialBackoff < 0 || r.MaxBackoff < 0:
		return errors.New("--retry-initial-backoff and --retry-max-backoff must be positive")
	case r.MaxBackoff > 0 && r.MaxBackoff < r.InitialBackoff:
		return fmt.Errorf("--retry-max-backoff %s is below --retry-initial-backoff %s", r.MaxBackoff, r.InitialBackoff)
	case r.Multiplier < 0 || !finite(r.Multiplier):
		return fmt.Errorf("--retry-backoff-multiplier must be positive, not %g", r.Multiplier)
	}
	for _, name := range r.Codes {
		if _, err := ParseCode(name); err != nil {
			return fmt.Errorf("--retry-codes: %w", err)
		}
	}
	return nil
}

// withDefaults fills the retry policy's zero fields with the flags' defaults.
func (r Retry) withDefaults() Retry {
	if r.InitialBackoff == 0 {
		r.InitialBackoff = 100 * time.Millisecond
	}
	if r.MaxBackoff == 0 {
		r.MaxBackoff = max(time.Second, r.InitialBackoff)
	}
	if r.Multiplier == 0 {
		r.Multiplier = 2
	}
	if len(r.Codes) == 0 {
		r.Codes = []string{"UNAVAILABLE"}
	}
	return r
}

// Notes are retry values grpc-go will change.
func (r *Retry) Notes() []string {
	if r.MaxAttempts > 5 {
		return []string{fmt.Sprintf("--retry-max-attempts %d is above grpc-go's limit: calls make at most 5 attempts", r.MaxAttempts)}
	}
	return nil
}

// lbPolicies are the load-balancing policies --lb-policy takes.
var lbPolicies = []string{"pick_first", "round_robin"}

// serviceConfig builds the service config the flags stand for: the user's
// own, or one with the LB policy and the retry policy; "" for none.
func serviceConfig(lb string, r *Retry) (string, error) {
	if r.ServiceConfig != "" {
		sc := r.ServiceConfig
		if path, ok := strings.CutPrefix(sc, "@"); ok {
			b, err := readSmallFile("--service-config", path, maxServiceConfigBytes)
			if err != nil {
				return "", err
			}
			sc = string(b)
		}
		if !json.Valid([]byte(sc)) {
			return "", errors.New("--service-config is not valid JSON")
		}
		return sc, nil
	}
	cfg := map[string]any{}
	if lb != "" {
		cfg["loadBalancingConfig"] = []any{map[string]any{lb: map[string]any{}}}
	}
	if r.MaxAttempts > 0 {
		p := r.withDefaults()
		names := make([]string, len(p.Codes))
		for i, name := range p.Codes {
			c, _ := ParseCode(name) // Validate has read them
			names[i] = CodeName(c)
		}
		cfg["methodConfig"] = []any{map[string]any{
			"name": []any{map[string]any{}}, // every method
			"retryPolicy": map[string]any{
				"maxAttempts":          p.MaxAttempts,
				"initialBackoff":       scDuration(p.InitialBackoff),
				"maxBackoff":           scDuration(p.MaxBackoff),
				"backoffMultiplier":    p.Multiplier,
				"retryableStatusCodes": names,
			},
		}}
	}
	if len(cfg) == 0 {
		return "", nil
	}
	b, err := json.Marshal(cfg)
	return string(b), err
}

// scDuration is a duration in service-config form ("0.1s").
func scDuration(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s" }

// LBPolicies lists the policies --lb-policy takes.
func LBPolicies() []string { return slices.Clone(lbPolicies) }
