package cli

// The values of --color.
const (
	ColorAuto   = "auto"
	colorAlways = "always"
	colorNever  = "never"
)

// colorOutput decides whether a report written to output (empty or "-" for
// standard output) gets colour. --color always and never are obeyed; auto
// follows the conventions terminal tools share, in this order: NO_COLOR
// (any value) turns colour off, CLICOLOR_FORCE (any value but 0) turns it on
// even off a terminal, TERM=dumb turns it off, and otherwise colour goes to
// a terminal only. A report written to a file never gets colour unless
// --color always asks for it.
func (s *IOStreams) colorOutput(output string) bool {
	toOut := output == "" || output == "-"
	switch s.Color {
	case colorAlways:
		return true
	case colorNever:
		return false
	}
	if !toOut {
		return false
	}
	env := s.Getenv
	if env == nil {
		env = func(string) string { return "" }
	}
	switch {
	case env("NO_COLOR") != "":
		return false
	case env("CLICOLOR_FORCE") != "" && env("CLICOLOR_FORCE") != "0":
		return true
	case env("TERM") == "dumb":
		return false
	}
	return s.OutTTY
}

// CheckColor refuses a --color value other than auto, always or never.
func (s *IOStreams) CheckColor() error {
	switch s.Color {
	case "", ColorAuto, colorAlways, colorNever:
		return nil
	}
	return UsageErrorf("--color must be auto, always or never, not %q", s.Color)
}
