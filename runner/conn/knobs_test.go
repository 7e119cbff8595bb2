package conn

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// flagTarget is the Target the commands' flags bind when none is given
// (cmd/cli's AddTargetFlags), to 127.0.0.1:1.
func flagTarget() plan.Target {
	return plan.Target{Addr: "127.0.0.1:1", ConnectTimeout: plan.DefaultConnectTimeout,
		Keepalive: plan.Keepalive{Timeout: 20 * time.Second}, Backoff: plan.DefaultBackoff,
		Retry: plan.Retry{InitialBackoff: 100 * time.Millisecond, MaxBackoff: time.Second, Multiplier: 2, Codes: []string{"UNAVAILABLE"}}}
}

func TestServiceConfig(t *testing.T) {
	t.Parallel()
	sc, err := serviceConfig(context.Background(), &plan.Target{LBPolicy: "round_robin", Retry: plan.Retry{MaxAttempts: 4, Codes: []string{"unavailable", "DeadlineExceeded"},
		InitialBackoff: 50 * time.Millisecond, MaxBackoff: 2 * time.Second, Multiplier: 1.5}})
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
	if sc, _ := serviceConfig(context.Background(), &plan.Target{}); sc != "" {
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
		_, err := Dial(context.Background(), plan.Target{Addr: "127.0.0.1:1", Plaintext: true, Retry: plan.Retry{ServiceConfig: sc}})
		if err == nil {
			t.Errorf("service config %q was accepted", sc)
		}
	}
}

// The retry policy the flags build makes grpc-go retry: a call whose first
// two attempts fail succeeds on the third.
func TestRetryPolicyRetries(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	// --plaintext --retry-max-attempts 3 --retry-initial-backoff 1ms --retry-max-backoff 5ms
	target := flagTarget()
	target.Plaintext = true
	target.Retry.MaxAttempts, target.Retry.InitialBackoff, target.Retry.MaxBackoff = 3, time.Millisecond, 5*time.Millisecond
	if err := CheckTarget(context.Background(), &target); err != nil {
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
	// --plaintext --lb-policy round_robin --target B
	target := flagTarget()
	target.Plaintext, target.LBPolicy, target.Targets = true, "round_robin", []string{b.Addr()}
	if err := CheckTarget(context.Background(), &target); err != nil {
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

func TestCodeNamesAreGrpcGos(t *testing.T) {
	t.Parallel()
	for c := range codes.Code(20) {
		if got, want := event.Code(c).String(), c.String(); got != want {
			t.Errorf("event.Code(%d) = %q, grpc-go says %q", c, got, want)
		}
	}
}

func TestDefaultBackoffIsGrpcGos(t *testing.T) {
	t.Parallel()
	d, p := backoff.DefaultConfig, plan.DefaultBackoff
	if p.Base != d.BaseDelay || p.Max != d.MaxDelay || p.Multiplier != d.Multiplier || p.Jitter != d.Jitter || p.MinConnectTimeout != 20*time.Second {
		t.Errorf("plan.DefaultBackoff %+v, grpc-go's %+v (and a 20s least connection attempt)", p, d)
	}
}
