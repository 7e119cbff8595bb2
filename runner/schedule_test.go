package runner

import (
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

func TestCallValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		call    plan.Call
		kind    event.Kind
		wantErr string
	}{
		{"unary", plan.Call{Messages: 1}, event.Unary, ""},
		{"bidi messages", plan.Call{Messages: 5, StreamInterval: time.Millisecond}, event.Bidi, ""},
		{"client messages", plan.Call{Messages: 5}, event.ClientStream, ""},
		{"messages on unary", plan.Call{Messages: 5}, event.Unary, "apply to client- and bidi-streaming methods; this one is unary"},
		{"interval on server stream", plan.Call{Messages: 1, StreamInterval: time.Second}, event.ServerStream, "this one is server_stream"},
		{"zero messages", plan.Call{Messages: 0}, event.Bidi, "--messages 0 (no count limit) needs --stream-duration"},
		{"negative messages", plan.Call{Messages: -1}, event.Bidi, "--messages must be from 1 to 1000000"},
		{"too many messages", plan.Call{Messages: 2_000_000}, event.Bidi, "--messages must be from 1 to 1000000"},
		{"negative timeout", plan.Call{Messages: 1, Timeout: -1}, event.Unary, "--timeout must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateFor(&tt.call, tt.kind)
			if (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Validate() = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
