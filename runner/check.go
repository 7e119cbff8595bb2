package runner

import (
	"fmt"

	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// ValidateFor is c.Validate plus the settings that only some kinds take;
// kind is the method's kind.
func ValidateFor(c *plan.Call, kind event.Kind) error {
	if err := c.Validate(); err != nil {
		return err
	}
	return CheckKind(c, kind)
}

// CheckKind rejects the settings of c that only some kinds take when kind
// (the method's) is not one of them; the rest of Validate is not repeated.
func CheckKind(c *plan.Call, kind event.Kind) error {
	if (c.Messages != 1 || c.StreamInterval != 0 || c.StreamDuration != 0) && kind != event.ClientStream && kind != event.Bidi {
		return fmt.Errorf("--messages, --stream-interval and --stream-duration apply to client- and bidi-streaming methods; this one is %s", kind)
	}
	if c.StreamPacing == plan.PacingPingPong && kind != event.Bidi {
		return fmt.Errorf("--stream-pacing pingpong applies to bidi-streaming methods; this one is %s", kind)
	}
	return nil
}
