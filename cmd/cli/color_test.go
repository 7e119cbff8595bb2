package cli

import "testing"

func TestColorOutput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		color  string
		tty    bool
		env    map[string]string
		output string
		want   bool
	}{
		{"terminal", "auto", true, nil, "", true},
		{"pipe", "auto", false, nil, "", false},
		{"NO_COLOR on a terminal", "auto", true, map[string]string{"NO_COLOR": "1"}, "", false},
		{"CLICOLOR_FORCE into a pipe", "auto", false, map[string]string{"CLICOLOR_FORCE": "1"}, "-", true},
		{"CLICOLOR_FORCE=0", "auto", false, map[string]string{"CLICOLOR_FORCE": "0"}, "", false},
		{"NO_COLOR beats CLICOLOR_FORCE", "auto", true, map[string]string{"NO_COLOR": "1", "CLICOLOR_FORCE": "1"}, "", false},
		{"TERM=dumb", "auto", true, map[string]string{"TERM": "dumb"}, "", false},
		{"a file", "auto", true, map[string]string{"CLICOLOR_FORCE": "1"}, "r.txt", false},
		{"always beats NO_COLOR", "always", false, map[string]string{"NO_COLOR": "1"}, "r.txt", true},
		{"never on a terminal", "never", true, nil, "", false},
		{"default is auto", "", true, nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &IOStreams{Color: tt.color, OutTTY: tt.tty, Getenv: func(k string) string { return tt.env[k] }}
			if got := s.colorOutput(tt.output); got != tt.want {
				t.Errorf("colorOutput(%q) = %v, want %v", tt.output, got, tt.want)
			}
		})
	}
	if err := (&IOStreams{Color: "sometimes"}).CheckColor(); err == nil || ExitCode(err) != ExitUsage {
		t.Errorf("--color sometimes: %v, want a usage error", err)
	}
}
