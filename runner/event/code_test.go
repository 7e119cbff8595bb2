package event

import "testing"

func TestParseCode(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Code{"UNAVAILABLE": CodeUnavailable, "unavailable": CodeUnavailable,
		"DeadlineExceeded": CodeDeadlineExceeded, "deadline_exceeded": CodeDeadlineExceeded, "OK": CodeOK,
		"14": CodeUnavailable, "CODE(42)": Code(42)} {
		if got, err := ParseCode(in); err != nil || got != want {
			t.Errorf("ParseCode(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "NOPE", "17", "-1"} {
		if _, err := ParseCode(bad); err == nil {
			t.Errorf("ParseCode(%q) accepted", bad)
		}
	}
	if CodeName(CodeResourceExhausted) != "RESOURCE_EXHAUSTED" || CodeName(Code(99)) != "CODE(99)" {
		t.Error("CodeName")
	}
}
