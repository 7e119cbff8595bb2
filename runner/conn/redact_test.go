package conn

import (
	"errors"
	"strings"
	"testing"

	"github.com/grpcpulse/grpcpulse/runner/plan"
)

func TestDialErrorHidesTargetCredentials(t *testing.T) {
	e := &DialError{Addr: "dns://alice:pw1234@127.0.0.1:1/x:1", Err: errors.New("boom"),
		Detail: "lookup alice:pw1234@127.0.0.1: no such host"}
	if msg := e.Error(); strings.Contains(msg, "pw1234") || !strings.Contains(msg, "dns://REDACTED@127.0.0.1:1/x:1") {
		t.Errorf("Error() = %q", msg)
	}
	if got := plan.RedactTarget("alice:pw1234@host:1"); got != "REDACTED@host:1" {
		t.Errorf("RedactTarget = %q", got)
	}
}
