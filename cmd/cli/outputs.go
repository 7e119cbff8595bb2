package cli

import (
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// OutputFlags are --format and the repeatable -o of every command that
// writes a report.
type OutputFlags struct {
	// Format is the rendering when no -o names one by its extension.
	Format string
	// Outputs are the -o files; empty, or "-", means standard output.
	Outputs []string

	// formats are the renderings the command has, the first the default.
	formats []string
	// formatSet records that --format was given (set by Plan's caller).
	formatSet bool
}

// OutputTarget is one rendering of a report: Format written to Path ("" is
// standard output).
type OutputTarget struct {
	Path, Format string
}

// extFormat is the format -o picks for a file's extension (Formats).
func extFormat(ext string) (string, bool) {
	for _, f := range Formats {
		if slices.Contains(f.Exts, ext) {
			return f.Name, true
		}
	}
	return "", false
}

// AddOutputFlags binds --format (one of formats, the first the default)
// and the repeatable -o into o.
func AddOutputFlags(fs *pflag.FlagSet, o *OutputFlags, formats []string) {
	o.formats = formats
	fs.StringVar(&o.Format, "format", formats[0], "report format: "+strings.Join(formats, ", ")+"; without it, an -o file's extension picks")
	SetValues(fs, "format", formats...)
	fs.StringArrayVarP(&o.Outputs, "output", "o", nil, "write the report to `file` (atomically; repeatable; "+extList()+" pick the format)")
}

// Plan resolves the flags into the renderings to write. One -o (or none)
// takes --format when given, else the format its extension names (text for
// another extension). Several -o each take their extension's format, and
// --format is then refused: it could only apply to one of them.
func (o *OutputFlags) Plan(fs *pflag.FlagSet) ([]OutputTarget, error) {
	o.formatSet = fs.Changed("format")
	if err := checkFormat(o.Format, o.formats); err != nil {
		return nil, err
	}
	if len(o.Outputs) == 0 {
		return []OutputTarget{{Format: o.Format}}, nil
	}
	if len(o.Outputs) > 1 && o.formatSet {
		return nil, UsageErrorf("--format applies to one -o; with several, each file's extension names its format (%s)", extList())
	}
	var out []OutputTarget
	for _, path := range o.Outputs {
		t := OutputTarget{Path: path, Format: o.Format}
		if fd, ok := heldFD(path); path == "-" || ok && fd == 1 {
			t.Path = "" // standard output: what else goes there (the text summary) does not
		}
		ext, known := extFormat(strings.ToLower(filepath.Ext(path)))
		switch {
		case o.formatSet || t.Path == "":
		case known:
			t.Format = ext
		case len(o.Outputs) > 1:
			return nil, UsageErrorf("-o %s: the extension names no format; use one of %s", path, extList())
		}
		if !slices.Contains(o.formats, t.Format) {
			return nil, UsageErrorf("-o %s: this command writes %s, not %s", path, strings.Join(o.formats, ", "), t.Format)
		}
		if slices.ContainsFunc(out, func(p OutputTarget) bool { return p.Path == t.Path }) {
			return nil, UsageErrorf("-o %s is given twice", orStdout(path))
		}
		if t.Path != "" {
			// Found now, not after a long run whose report would be lost.
			if err := CheckWritable(t.Path); err != nil {
				return nil, UsageErrorf("-o %s: %v", path, err)
			}
		}
		out = append(out, t)
	}
	return out, nil
}

func orStdout(path string) string {
	if path == "" {
		return "-"
	}
	return path
}

// extList is the extensions that pick a format, as help and errors name
// them (each format's first, by HelpRank).
func extList() string {
	fs := slices.SortedFunc(slices.Values(Formats), func(a, b Format) int { return a.HelpRank - b.HelpRank })
	exts := make([]string, len(fs))
	for i, f := range fs {
		exts[i] = f.Exts[0]
	}
	return strings.Join(exts, " ")
}

// ToStdout says whether one of targets is standard output.
func ToStdout(targets []OutputTarget) bool {
	return slices.ContainsFunc(targets, func(t OutputTarget) bool { return t.Path == "" })
}

// WriteOutputs writes each target through writeOutput (atomically for a
// file), rendering with render; the first error stops it.
func WriteOutputs(out io.Writer, targets []OutputTarget, render func(w io.Writer, t OutputTarget) error) error {
	for _, t := range targets {
		if err := writeOutput(out, t.Path, func(w io.Writer) error { return render(w, t) }); err != nil {
			return err
		}
	}
	return nil
}
