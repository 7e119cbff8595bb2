package plan

import (
	"errors"
	"fmt"
	"math"
	"time"
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

// DefaultBackoff is grpc-go's connect backoff (backoff.DefaultConfig, and
// its 20s least connection attempt): what fields left zero mean.
var DefaultBackoff = ConnectBackoff{
	Base:              time.Second,
	Max:               120 * time.Second,
	Multiplier:        1.6,
	Jitter:            0.2,
	MinConnectTimeout: 20 * time.Second,
}

// WithDefaults fills the fields left zero with grpc-go's defaults.
func (b ConnectBackoff) WithDefaults() ConnectBackoff {
	d := DefaultBackoff
	if b.Base == 0 {
		b.Base = d.Base
	}
	if b.Max == 0 {
		b.Max = max(d.Max, b.Base)
	}
	if b.Multiplier == 0 {
		b.Multiplier = d.Multiplier
	}
	if b.MinConnectTimeout == 0 {
		b.MinConnectTimeout = d.MinConnectTimeout
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
	v := b.WithDefaults()
	switch {
	case v.Base < 0 || v.Max < 0 || v.MinConnectTimeout < 0:
		return errors.New("--backoff-base, --backoff-max and --min-connect-timeout must be positive")
	case v.Max < v.Base:
		return fmt.Errorf("--backoff-max %s is below --backoff-base %s", v.Max, v.Base)
	}
	return nil
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

// Validate reports impossible retry settings; the codes' names are
// runner/conn's CheckTarget's to check (they are event's vocabulary).
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
	return nil
}

// WithDefaults fills the retry policy's zero fields with the flags' defaults.
func (r Retry) WithDefaults() Retry {
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

// finite reports whether every value is a number (not NaN or ±Inf):
// options can come from elsewhere than flags (files, code).
func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
