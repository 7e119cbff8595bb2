package cmd

import (
	"context"
	"strings"
	"testing"
)

// --help groups the flags, and one-shot commands leave out the flags that
// tune long-lived connections (they still work).
func TestHelpGroupsFlags(t *testing.T) {
	t.Parallel()
	help := func(args ...string) string {
		f, out, _ := testFactory("")
		if code := Run(context.Background(), f, append(args, "--help")); code != 0 {
			t.Fatalf("%v --help exited %d", args, code)
		}
		return out.String()
	}
	run := help("run")
	last := -1
	for _, section := range []string{"Connection flags:", "Metadata and descriptor flags:", "Data flags:", "Load flags:", "Connection tuning flags:", "Output and gate flags:"} {
		i := strings.Index(run, section)
		if i < 0 || i < last {
			t.Fatalf("run --help lacks %q in order:\n%s", section, run)
		}
		last = i
	}
	if i := strings.Index(run, "--keepalive-time"); i < strings.Index(run, "Connection tuning flags:") {
		t.Errorf("--keepalive-time is not under Connection tuning")
	}
	list := help("list")
	if strings.Contains(list, "--keepalive-time") || strings.Contains(list, "--retry-max-attempts") {
		t.Errorf("list --help shows connection tuning flags:\n%s", list)
	}
	if !strings.Contains(help("version"), "Flags:") {
		t.Errorf("a command with one group keeps the plain Flags: list")
	}
	f, _, errOut := testFactory("")
	if code := Run(context.Background(), f, []string{"list", "--keepalive-time", "1m", "--protoset", "../testdata/pulse.protoset"}); code != 0 {
		t.Errorf("a hidden flag no longer works: exit %d: %s", code, errOut)
	}
}
