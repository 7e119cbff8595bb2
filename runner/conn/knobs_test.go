package conn

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
)

// parseFlags binds a Target's flags and parses args, as the commands do.
func parseFlags(args ...string) (Target, error) {
	t := Target{Addr: "127.0.0.1:1"}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	t.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		return t, err
	}
	return t, t.Validate()
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

func TestKeepaliveNotes(t *testing.T) {
	t.Parallel()
	k := Keepalive{Time: 2 * time.Second, Timeout: 100 * time.Millisecond}
	if k.Effective() != 10*time.Second {
		t.Errorf("Effective() = %s, want 10s", k.Effective())
	}
	notes := strings.Join(k.Notes(), "\n")
	for _, want := range []string{"below grpc-go's minimum: it pings every 10s", "--keepalive-timeout 100ms is short"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes %q lack %q", notes, want)
		}
	}
	if off := (Keepalive{}); off.Effective() != 0 || off.Notes() != nil {
		t.Errorf("keepalive off: %s, %v", off.Effective(), off.Notes())
	}
	if n := (&Retry{MaxAttempts: 9}).Notes(); len(n) != 1 || !strings.Contains(n[0], "at most 5 attempts") {
		t.Errorf("retry notes = %v", n)
	}
}

func TestServiceConfig(t *testing.T) {
	t.Parallel()
	sc, err := serviceConfig("round_robin", &Retry{MaxAttempts: 4, Codes: []string{"unavailable", "DeadlineExceeded"},
		InitialBackoff: 50 * time.Millisecond, MaxBackoff: 2 * time.Second, Multiplier: 1.5})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(sc), &got); err != nil {
		t.Fatalf("%s: %v", sc, err)
	}
	want := `{"loadBalancingConfig":[{"round_robin":{}}],"methodConfig":[{"name":[{}],"retryPolicy":{"backoffMultiplier":1.5,` +
		`"initialBackoff":"0.05s","maxAttempts":4,"maxBackoff":"2s","retryableStatusCodes":["UNAVAILABLE","DEADLINE_EXCEEDED"]}}]}`
	if sc != want {
		t.Errorf("service config\n%s\nwant\n%s", sc, want)
	}
	if sc, _ := serviceConfig("", &Retry{}); sc != "" {
		t.Errorf("no knobs gave %q", sc)
	}
	// grpc-go itself must accept what we build.
	if _, err := grpc.NewClient("passthrough:///x", grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultServiceConfig(want)); err != nil {
		t.Errorf("grpc-go refuses the service config: %v", err)
	}
}

func TestServiceConfigErrors(t *testing.T) {
	t.Parallel()
	for _, sc := range []string{"{not json", `{"loadBalancingConfig": 5}`, "@/nonexistent.json"} {
		_, err := Dial(context.Background(), Target{Addr: "127.0.0.1:1", Plaintext: true, Retry: Retry{ServiceConfig: sc}})
		if err == nil {
			t.Errorf("service config %q was accepted", sc)
		}
	}
}

func TestParseCode(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]codes.Code{"UNAVAILABLE": codes.Unavailable, "unavailable": codes.Unavailable,
		"DeadlineExceeded": codes.DeadlineExceeded, "deadline_exceeded": codes.DeadlineExceeded, "OK": codes.OK,
		"14": codes.Unavailable, "CODE(42)": codes.Code(42)} {
		if got, err := ParseCode(in); err != nil || got != want {
			t.Errorf("ParseCode(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "NOPE", "17", "-1"} {
		if _, err := ParseCode(bad); err == nil {
			t.Errorf("ParseCode(%q) accepted", bad)
		}
	}
	if CodeName(codes.ResourceExhausted) != "RESOURCE_EXHAUSTED" || CodeName(codes.Code(99)) != "CODE(99)" {
		t.Error("CodeName")
	}
}

// The retry policy the flags build makes grpc-go retry: a call whose first
// two attempts fail succeeds on the third.
func TestRetryPolicyRetries(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	target, err := parseFlags("--plaintext", "--retry-max-attempts", "3", "--retry-initial-backoff", "1ms", "--retry-max-backoff", "5ms")
	if err != nil {
		t.Fatal(err)
	}
	target.Addr = srv.Addr()
	cc, err := Dial(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx := metadata.AppendToOutgoingContext(context.Background(), testserver.MDFailAttempts, "2")
	if _, err := pulsepb.NewPulseClient(cc).Unary(ctx, &pulsepb.Request{Id: 1}); err != nil {
		t.Errorf("with 3 attempts the call failed: %v", err)
	}
	ctx = metadata.AppendToOutgoingContext(context.Background(), testserver.MDFailAttempts, "3")
	_, err = pulsepb.NewPulseClient(cc).Unary(ctx, &pulsepb.Request{Id: 1})
	if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "max retries exhausted") {
		t.Errorf("err = %v, want Unavailable with max retries exhausted", err)
	}
	if got := srv.Calls("Unary"); got != 6 {
		t.Errorf("server saw %d attempts, want 3+3", got)
	}
}

// round_robin over several addresses spreads calls over all of them. It
// picks among READY subchannels, and Dial returns at the first, so the
// second backend joins once its own connection is up: call until it has.
func TestRoundRobinSpreads(t *testing.T) {
	t.Parallel()
	a, b := testserver.Start(t), testserver.Start(t)
	target, err := parseFlags("--plaintext", "--lb-policy", "round_robin", "--target", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	target.Addr = a.Addr()
	cc, err := Dial(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	deadline := time.Now().Add(10 * time.Second)
	for a.Calls("Unary") == 0 || b.Calls("Unary") == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("after 10s, calls spread %d/%d: round_robin never used both", a.Calls("Unary"), b.Calls("Unary"))
		}
		if _, err := pulsepb.NewPulseClient(cc).Unary(context.Background(), &pulsepb.Request{Id: 1}); err != nil {
			t.Fatal(err)
		}
	}
	// Once both are up, calls alternate.
	na, nb := a.Calls("Unary"), b.Calls("Unary")
	for range 20 {
		if _, err := pulsepb.NewPulseClient(cc).Unary(context.Background(), &pulsepb.Request{Id: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if da, db := a.Calls("Unary")-na, b.Calls("Unary")-nb; da != 10 || db != 10 {
		t.Errorf("20 calls with both backends up went %d/%d, want 10/10", da, db)
	}
}
