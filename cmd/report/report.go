// Package report is `grpcpulse report`: show, merge and compare saved
// JSON reports.
package report

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/internal/inputfile"
	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/report/diagnose"
	"github.com/grpcpulse/grpcpulse/report/gate"
	"github.com/grpcpulse/grpcpulse/report/merge"
	"github.com/grpcpulse/grpcpulse/report/text"
)

// NewCmdReport builds `report` and its subcommands.
func NewCmdReport(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:                        "report",
		Short:                      "Re-render, merge and compare saved JSON reports",
		Args:                       cobra.ArbitraryArgs,
		SuggestionsMinimumDistance: 2,
		// A misspelt subcommand (report comapre) must fail a CI step, not
		// print the help and exit 0.
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cli.UsageErrorf("missing subcommand: show, merge or compare")
			}
			return cli.UsageErrorf("unknown command %q for %q%s", args[0], c.CommandPath(), suggestion(c, args[0]))
		},
	}
	cmd.AddCommand(NewCmdReportShow(f, nil), NewCmdReportMerge(f, nil), NewCmdReportCompare(f, nil))
	return cmd
}

// compareFormats are the renderings of a comparison.
var compareFormats = []string{"text", "json", "markdown"}

// ReportShowOptions are the inputs of `grpcpulse report show`.
type ReportShowOptions struct {
	IO     *cli.IOStreams
	Files  []string
	Output cli.OutputFlags

	targets []cli.OutputTarget
}

// NewCmdReportShow builds `report show`; runF replaces reportShowRun in tests.
func NewCmdReportShow(f *cli.Factory, runF func(*ReportShowOptions) error) *cobra.Command {
	opts := &ReportShowOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "show [flags] FILE...",
		Short: "Render saved reports: text, json, hgrm, csv (timeline), markdown or html",
		Long: `Show renders JSON reports written by run --format json:
  text      the terminal report
  json      the report itself (after reading and checking it)
  hgrm      HdrHistogram's percentile distribution of the latency (for its plotter)
  csv       the per-second timeline
  markdown  a compact summary for CI job pages (e.g. GitHub's step summary)
  html      one self-contained page with charts (no network fetches)
Several files are rendered one after another (json and html take one). -o FILE picks
the format from its extension (.json .html .md .csv .hgrm .txt) unless --format is
given, and may be repeated to write several renderings at once.
A saved diagnose probe (diagnose --format json) renders as text or json.`,
		Example: `  grpcpulse report show report.json
  grpcpulse report show report.json -o report.html -o report.md
  grpcpulse report show report.json --format markdown >> "$GITHUB_STEP_SUMMARY"`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Files = args
			targets, err := opts.Output.Plan(c.Flags())
			if err != nil {
				return err
			}
			for _, t := range targets {
				if len(args) > 1 && (t.Format == "json" || t.Format == "html") {
					return cli.UsageErrorf("%s renders one report; merge several with report merge", t.Format)
				}
			}
			opts.targets = targets
			if runF != nil {
				return runF(opts)
			}
			return reportShowRun(c.Context(), opts)
		},
	}
	cli.AddOutputFlags(cmd.Flags(), &opts.Output, cli.ShowFormats)
	return cmd
}

func reportShowRun(ctx context.Context, opts *ReportShowOptions) error {
	docs, err := readShown(ctx, opts.Files)
	if err != nil {
		return err
	}
	for _, d := range docs {
		for _, t := range opts.targets {
			if err := d.check(t); err != nil {
				return err
			}
		}
	}
	return cli.WriteOutputs(opts.IO.Out, opts.targets, func(w io.Writer, t cli.OutputTarget) error {
		for i, d := range docs {
			if i > 0 && t.Format != "csv" {
				if _, err := io.WriteString(w, "\n"); err != nil {
					return err
				}
			}
			if err := d.render(w, t, opts.IO); err != nil {
				return err
			}
		}
		return nil
	})
}

// readReports reads JSON reports; an error names the file.
func readReports(ctx context.Context, paths []string) ([]*report.Summary, error) {
	var out []*report.Summary
	for _, path := range paths {
		file, err := inputfile.Open(ctx, path)
		if err != nil {
			return nil, fmt.Errorf("report %s: %w", path, err)
		}
		s, err := report.ReadJSON(file)
		file.Close()
		if err != nil {
			return nil, fmt.Errorf("report %s: %w", path, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// ReportMergeOptions are the inputs of `grpcpulse report merge`.
type ReportMergeOptions struct {
	IO     *cli.IOStreams
	Files  []string
	Output cli.OutputFlags

	targets []cli.OutputTarget
}

// NewCmdReportMerge builds `report merge`; runF replaces reportMergeRun in tests.
func NewCmdReportMerge(f *cli.Factory, runF func(*ReportMergeOptions) error) *cobra.Command {
	opts := &ReportMergeOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "merge [flags] FILE...",
		Short: "Combine reports of one method from several machines into one, exactly",
		Long: `Merge combines JSON reports of the same method (from several machines or processes run
at the same time) into one: counts add up, histograms merge exactly (the percentiles are
those of one run over every call), timelines align on wall-clock time. It refuses
reports of different methods or schemas. See docs/distributed.md.`,
		Example: `  grpcpulse report merge run-*.json
  grpcpulse report merge /results/*.json --format json -o merged.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Files = args
			targets, err := opts.Output.Plan(c.Flags())
			if err != nil {
				return err
			}
			opts.targets = targets
			if runF != nil {
				return runF(opts)
			}
			return reportMergeRun(c.Context(), opts)
		},
	}
	cli.AddOutputFlags(cmd.Flags(), &opts.Output, cli.ShowFormats)
	return cmd
}

func reportMergeRun(ctx context.Context, opts *ReportMergeOptions) error {
	reports, err := readReports(ctx, opts.Files)
	if err != nil {
		return err
	}
	merged, err := merge.Reports(reports)
	if err == nil {
		diagnose.Diagnose(merged)
	}
	if err != nil {
		var names []string
		for i, path := range opts.Files {
			names = append(names, fmt.Sprintf("#%d is %s", i+1, path))
		}
		return fmt.Errorf("%w\n(report %s)", err, strings.Join(names, ", "))
	}
	return cli.WriteOutputs(opts.IO.Out, opts.targets, func(w io.Writer, t cli.OutputTarget) error {
		return cli.RenderSummary(w, merged, t.Format, opts.IO, t.Path)
	})
}

// ReportCompareOptions are the inputs of `grpcpulse report compare`.
type ReportCompareOptions struct {
	IO            *cli.IOStreams
	Base, New     string
	MaxRegression []string
	Force         bool
	Output        cli.OutputFlags

	targets []cli.OutputTarget
}

// NewCmdReportCompare builds `report compare`; runF replaces reportCompareRun in tests.
func NewCmdReportCompare(f *cli.Factory, runF func(*ReportCompareOptions) error) *cobra.Command {
	opts := &ReportCompareOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "compare [flags] BASE NEW",
		Short: "Compare a report with a baseline; exit 3 when a regression limit is exceeded",
		Long: `Compare puts the figures of two reports side by side with their differences. Each
--max-regression limit (e.g. 'p(99)=10%', 'error_rate=0.5%', 'rps=5%',
'msg_rtt.p(99)=20%') that NEW exceeds fails the comparison: exit 3. A limit may
select one method of a mix as --assert does ('method=Unary,p(99)=10%'): it applies
to that method instead of a limit on the same metric for every method. Runs with
different load shapes (method, concurrency, connections, rate, messages, request size)
are refused (exit 2) unless --force: such a comparison says nothing about the code.`,
		Example: `  grpcpulse report compare baseline.json report.json --max-regression 'p(99)=10%'
  grpcpulse report compare baseline.json report.json --format markdown >> "$GITHUB_STEP_SUMMARY"`,
		Args: cli.ArgsBetween(2, 2, "BASE", "NEW"),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Base, opts.New = args[0], args[1]
			targets, err := opts.Output.Plan(c.Flags())
			if err != nil {
				return err
			}
			opts.targets = targets
			if _, err := gate.ParseLimits(opts.MaxRegression); err != nil {
				return &cli.UsageError{Err: err}
			}
			if runF != nil {
				return runF(opts)
			}
			return reportCompareRun(c.Context(), opts)
		},
	}
	fs := cmd.Flags()
	fs.StringArrayVar(&opts.MaxRegression, "max-regression", nil, "`METRIC=LIMIT` a run may regress by at most (repeatable)")
	fs.BoolVar(&opts.Force, "force", false, "compare even when the load shapes differ")
	cli.AddOutputFlags(fs, &opts.Output, compareFormats)
	return cmd
}

func reportCompareRun(ctx context.Context, opts *ReportCompareOptions) error {
	reports, err := readReports(ctx, []string{opts.Base, opts.New})
	if err != nil {
		return err
	}
	limits, err := gate.ParseLimits(opts.MaxRegression)
	if err != nil {
		return &cli.UsageError{Err: err}
	}
	c, err := gate.Compare(reports[0], reports[1], limits, opts.Force)
	if errors.Is(err, gate.ErrShapeDiffers) {
		return &cli.UsageError{Err: fmt.Errorf("%w\n(add --force to compare anyway)", err)}
	}
	if errors.Is(err, gate.ErrLimitMethod) {
		return &cli.UsageError{Err: err}
	}
	if err != nil {
		return err
	}
	if err := cli.WriteOutputs(opts.IO.Out, opts.targets, func(w io.Writer, t cli.OutputTarget) error {
		switch t.Format {
		case "json":
			return report.WriteComparisonJSON(w, c)
		case "markdown":
			return text.RenderComparisonMarkdown(w, c)
		}
		return text.RenderComparison(w, c, cli.TextStyles(opts.IO, t.Path), cli.TextWidth(opts.IO, t.Path))
	}); err != nil {
		return err
	}
	if !c.Pass {
		return &cli.GateError{Failed: c.Regressions}
	}
	return nil
}

// suggestion is cobra's "Did you mean" text for a mistyped subcommand of c.
func suggestion(c *cobra.Command, typed string) string {
	if s := c.SuggestionsFor(typed); len(s) > 0 {
		return "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return ""
}
