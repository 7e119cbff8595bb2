package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/cmd/cli/clitest"
)

func TestReportShowFlags(t *testing.T) {
	t.Parallel()
	clitest.RunFlagCases(t, []clitest.FlagCase[ReportShowOptions]{
		{Name: "files and format", Argv: []string{"--format", "markdown", "-o", "r.md", "a.json", "b.json"},
			Check: func(t *testing.T, o *ReportShowOptions) {
				if strings.Join(o.Files, ",") != "a.json,b.json" || o.Output.Format != "markdown" || strings.Join(o.Output.Outputs, ",") != "r.md" || o.IO == nil {
					t.Errorf("options %+v", o)
				}
			}},
		{Name: "defaults", Argv: []string{"a.json"},
			Check: func(t *testing.T, o *ReportShowOptions) {
				if o.Output.Format != "text" || strings.Join(o.Output.Outputs, ",") != "" {
					t.Errorf("format %q, output %q", o.Output.Format, o.Output.Outputs)
				}
			}},
		{Name: "no file", Argv: nil, WantErr: "requires at least 1 arg(s)", Code: cli.ExitUsage},
		{Name: "bad format", Argv: []string{"--format", "xml", "a.json"}, WantErr: "xml", Code: cli.ExitUsage},
		{Name: "unknown flag", Argv: []string{"--bogus", "a.json"}, WantErr: "unknown flag: --bogus", Code: cli.ExitUsage},
	}, NewCmdReportShow)
}

func TestReportMergeFlags(t *testing.T) {
	t.Parallel()
	clitest.RunFlagCases(t, []clitest.FlagCase[ReportMergeOptions]{
		{Name: "files", Argv: []string{"--format", "json", "-o", "m.json", "a.json", "b.json"},
			Check: func(t *testing.T, o *ReportMergeOptions) {
				if strings.Join(o.Files, ",") != "a.json,b.json" || o.Output.Format != "json" || strings.Join(o.Output.Outputs, ",") != "m.json" || o.IO == nil {
					t.Errorf("options %+v", o)
				}
			}},
		{Name: "no file", Argv: nil, WantErr: "requires at least 1 arg(s)", Code: cli.ExitUsage},
		{Name: "bad format", Argv: []string{"--format", "xml", "a.json", "b.json"}, WantErr: "xml", Code: cli.ExitUsage},
	}, NewCmdReportMerge)
}

func TestReportCompareFlags(t *testing.T) {
	t.Parallel()
	clitest.RunFlagCases(t, []clitest.FlagCase[ReportCompareOptions]{
		{Name: "limits", Argv: []string{"--max-regression", "p(99)=10%", "--max-regression", "rps=5%", "--force", "--format", "json", "base.json", "new.json"},
			Check: func(t *testing.T, o *ReportCompareOptions) {
				if o.Base != "base.json" || o.New != "new.json" || strings.Join(o.MaxRegression, ",") != "p(99)=10%,rps=5%" || !o.Force || o.Output.Format != "json" {
					t.Errorf("options %+v", o)
				}
			}},
		{Name: "defaults", Argv: []string{"base.json", "new.json"},
			Check: func(t *testing.T, o *ReportCompareOptions) {
				if o.Output.Format != "text" || o.Force || strings.Join(o.Output.Outputs, ",") != "" {
					t.Errorf("options %+v", o)
				}
			}},
		{Name: "one file", Argv: []string{"base.json"}, WantErr: "missing NEW", Code: cli.ExitUsage},
		{Name: "three files", Argv: []string{"a", "b", "c"}, WantErr: "too many arguments", Code: cli.ExitUsage},
		{Name: "bad format", Argv: []string{"--format", "xml", "a", "b"}, WantErr: "xml", Code: cli.ExitUsage},
	}, NewCmdReportCompare)
}

// testFactory is clitest.Factory, for this package's tests.
func testFactory(stdin string) (*cli.Factory, *bytes.Buffer, *bytes.Buffer) {
	return clitest.Factory(stdin)
}
