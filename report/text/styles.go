package text

import (
	"io"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Styles are the looks of the text report. The renderer pads and aligns
// plain text first and styles it afterwards, so styles never change layout.
type Styles struct {
	Title   lipgloss.Style // the first line
	Heading lipgloss.Style // section headings
	Label   lipgloss.Style // row labels
	Value   lipgloss.Style // the figures that matter most
	Good    lipgloss.Style // OK counts
	Bad     lipgloss.Style // errors
	Warn    lipgloss.Style // late starts, aborted calls, interruption
	Faint   lipgloss.Style // secondary detail
	Bar     lipgloss.Style // distribution bars
	// BarChar is the character bars are drawn with.
	BarChar string
}

// PlainStyles writes no escape codes at all: for output that is not a
// terminal, NO_COLOR, and golden tests.
func PlainStyles() Styles {
	s := lipgloss.NewStyle()
	return Styles{Title: s, Heading: s, Label: s, Value: s, Good: s, Bad: s, Warn: s, Faint: s, Bar: s, BarChar: "#"}
}

// ColorStyles uses the 16 basic ANSI colours (readable on dark and light
// backgrounds). The caller decides that its output is a colour terminal; the
// styles never look at the environment.
func ColorStyles() Styles {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.ANSI)
	r.SetHasDarkBackground(true)
	s := r.NewStyle()
	return Styles{
		Title:   s.Bold(true),
		Heading: s.Bold(true).Foreground(lipgloss.Color("6")),
		Label:   s,
		Value:   s.Bold(true),
		Good:    s.Foreground(lipgloss.Color("2")),
		Bad:     s.Foreground(lipgloss.Color("1")).Bold(true),
		Warn:    s.Foreground(lipgloss.Color("3")),
		Faint:   s.Faint(true),
		Bar:     s.Foreground(lipgloss.Color("4")),
		BarChar: "█",
	}
}
