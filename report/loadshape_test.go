package report

import (
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

func TestLoadShapeStages(t *testing.T) {
	t.Parallel()
	s := time.Second
	stages := plan.Stages{{Duration: s, Target: 100}, {Duration: 2 * s, Target: 100}, {Duration: s}}
	tests := []struct {
		name string
		opts plan.Options
		kind event.Kind
		want string
	}{
		{"stages", plan.Options{Load: plan.Load{Concurrency: 50, Connections: 1, Stages: stages, Duration: 4 * s}}, event.Unary,
			"open loop stages 1s:100,2s:100,1s:0 · 50 workers · 1 connection · -z 4s"},
		{"stages from --rps", plan.Options{Load: plan.Load{Concurrency: 5, Connections: 1, RPS: 20, Stages: stages[2:]}}, event.Unary,
			"open loop from 20/s, stages 1s:0 · 5 workers · 1 connection"},
		{"concurrency stages", plan.Options{Load: plan.Load{Concurrency: 50, Connections: 1, ConcurrencyStages: plan.Stages{{Duration: s, Target: 4}}, Duration: s}}, event.Unary,
			"closed loop concurrency stages 1s:4 · 4 workers · 1 connection · -z 1s"},
		{"ping-pong by time", plan.Options{Load: plan.Load{Concurrency: 2, Connections: 1, Total: 4},
			Call: plan.Call{StreamDuration: s, StreamPacing: plan.PacingPingPong}}, event.Bidi,
			"closed loop · 2 workers · 1 connection · -n 4 · streams of 1s · ping-pong"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(LoadShape(tt.opts, tt.kind), " · "); got != tt.want {
				t.Errorf("LoadShape = %q\nwant        %q", got, tt.want)
			}
		})
	}
}
