package plan

import (
	"strings"
	"testing"
	"time"
)

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
