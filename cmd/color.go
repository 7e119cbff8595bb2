package cmd

// The values of --color.
const (
	colorAuto   = "auto"
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

// checkColor refuses a --color value other than auto, always or never.
func (s *IOStreams) checkColor() error {
	switch s.Color {
	case "", colorAuto, colorAlways, colorNever:
		return nil
	}
	return usageErrorf("--color must be auto, always or never, not %q", s.Color)
}
