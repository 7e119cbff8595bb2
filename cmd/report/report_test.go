package report

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
)

func TestOutputPlanNarrowFormats(t *testing.T) {
	var o cli.OutputFlags
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	cli.AddOutputFlags(fs, &o, compareFormats)
	if err := fs.Parse([]string{"-o", "c.html"}); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Plan(fs); err == nil || !strings.Contains(err.Error(), "writes text, json, markdown, not html") {
		t.Errorf("got %v", err)
	}
}
