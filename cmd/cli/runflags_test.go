package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/grpcpulse/grpcpulse/runner/conn"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

func TestFiniteFloatFlag(t *testing.T) {
	t.Parallel()
	var f float64
	v := finiteFloat{&f}
	for _, bad := range []string{"NaN", "nan", "Inf", "-Inf", "+inf", "x"} {
		if err := v.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
	if err := v.Set("1.5"); err != nil || f != 1.5 {
		t.Errorf("Set(1.5): %v, %g", err, f)
	}
	b := plan.ConnectBackoff{Multiplier: nan()}
	if err := b.Validate(); err == nil {
		t.Error("a NaN multiplier set in code passed Validate")
	}
}
func nan() float64 { var zero float64; return zero / zero }

// parseFlags binds a Target's flags and parses args, as the commands do.
func parseFlags(args ...string) (plan.Target, error) {
	t := plan.Target{Addr: "127.0.0.1:1"}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	AddTargetFlags(fs, &t)
	if err := fs.Parse(args); err != nil {
		return t, err
	}
	return t, conn.CheckTarget(context.Background(), &t)
}

func TestKnobFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args    []string
		wantErr string
	}{
		{nil, ""},
		{[]string{"--keepalive-time", "30s", "--keepalive-timeout", "5s", "--keepalive-permit-without-stream"}, ""},
		{[]string{"--keepalive-time", "1s"}, ""}, // accepted; grpc-go raises it to 10s (a note says so)
		{[]string{"--keepalive-time", "-1s"}, "--keepalive-time must not be negative"},
		{[]string{"--keepalive-timeout", "0s"}, "must be positive"},
		{[]string{"--keepalive-timeout", "-5s"}, "must be positive"},
		{[]string{"--keepalive-permit-without-stream"}, "needs --keepalive-time"},
		{[]string{"--retry-max-attempts", "3", "--retry-codes", "UNAVAILABLE,deadline_exceeded,ResourceExhausted"}, ""},
		{[]string{"--retry-max-attempts", "1"}, "0 (no retries) or at least 2"},
		{[]string{"--retry-max-attempts", "3", "--retry-codes", "UNAVAILABLE,NOPE"}, `"NOPE" is not a status code name`},
		{[]string{"--retry-initial-backoff", "0s"}, "must be positive"},
		{[]string{"--retry-initial-backoff", "2s", "--retry-max-backoff", "1s"}, "below --retry-initial-backoff"},
		{[]string{"--retry-max-attempts", "3", "--service-config", "{}"}, "use one"},
		{[]string{"--service-config", "{not json"}, "--service-config is not valid JSON"},
		{[]string{"--service-config", `{"loadBalancingConfig": 5}`}, "--service-config"},
		{[]string{"--service-config", `{"methodConfig":[{"name":[{}],"retryPolicy":{"maxAttempts":3,"initialBackoff":"0.1s","maxBackoff":"1s","backoffMultiplier":2,"retryableStatusCodes":["UNAVAILABLE"]}}]}`}, ""},
		{[]string{"--backoff-base", "100ms", "--backoff-max", "1s", "--backoff-multiplier", "2", "--backoff-jitter", "0"}, ""},
		{[]string{"--backoff-base", "2s", "--backoff-max", "1s"}, "below --backoff-base"},
		{[]string{"--backoff-jitter", "1.5"}, "between 0 and 1"},
		{[]string{"--backoff-multiplier", "0.5"}, "at least 1"},
		{[]string{"--min-connect-timeout", "0s"}, "must be positive"},
		{[]string{"--lb-policy", "round_robin", "--target", "127.0.0.1:2"}, ""},
		{[]string{"--lb-policy", "random"}, `--lb-policy "random": want one of pick_first, round_robin`},
		{[]string{"--lb-policy", "round_robin", "--service-config", "{}"}, "put loadBalancingConfig in the service config"},
		{[]string{"--target", "nohost"}, `target "nohost": want host:port`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, err := parseFlags(tt.args...)
			if (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
