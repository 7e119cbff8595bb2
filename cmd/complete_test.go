package cmd

import (
	"context"
	"strings"
	"testing"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
)

// Shell completion (cobra's __complete, which the generated scripts call)
// completes methods and services through reflection or descriptor files,
// and the values of --format, --lb-policy, --retry-codes and --color.
func TestCompletion(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	tests := []struct {
		args []string
		want []string
		not  []string
	}{
		{[]string{"call", "--plaintext", srv.Addr(), "grpcpulse.test.v1.Pulse/"}, []string{"grpcpulse.test.v1.Pulse/Unary", "grpcpulse.test.v1.Pulse/Bidi"}, nil},
		{[]string{"run", "--plaintext", srv.Addr(), "grpcpulse.test.v1.Pulse/S"}, []string{"grpcpulse.test.v1.Pulse/ServerStream"}, []string{"grpcpulse.test.v1.Pulse/Unary"}},
		{[]string{"list", "--plaintext", srv.Addr(), ""}, []string{"grpcpulse.test.v1.Pulse", "grpc.health.v1.Health"}, nil},
		{[]string{"describe", "--protoset", "../testdata/pulse.protoset", "grpcpulse.test.v1.Pulse"}, []string{"grpcpulse.test.v1.Pulse", "grpcpulse.test.v1.Pulse/Bidi"}, nil},
		{[]string{"call", "127.0.0.1:1", "x"}, nil, []string{"grpcpulse"}}, // nothing listens: nothing, at once
		{[]string{"run", "--format", ""}, []string{"text", "json"}, nil},
		{[]string{"report", "show", "--format", ""}, []string{"markdown", "html"}, nil},
		{[]string{"call", "--lb-policy", ""}, []string{"pick_first", "round_robin"}, nil},
		{[]string{"run", "--retry-codes", ""}, []string{"UNAVAILABLE", "DEADLINE_EXCEEDED"}, nil},
		{[]string{"list", "--color", ""}, []string{"auto", "always", "never"}, nil},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f, out, errOut := testFactory("")
			if code := Run(context.Background(), f, append([]string{"__complete"}, tt.args...)); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			lines := strings.Split(out.String(), "\n")
			has := func(s string) bool {
				for _, l := range lines {
					if l == s {
						return true
					}
				}
				return false
			}
			for _, w := range tt.want {
				if !has(w) {
					t.Errorf("no %q in completions:\n%s", w, out)
				}
			}
			for _, n := range tt.not {
				if has(n) || (n == "grpcpulse" && strings.Contains(out.String(), n)) {
					t.Errorf("%q completed:\n%s", n, out)
				}
			}
		})
	}
}
