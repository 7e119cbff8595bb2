package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/internal/inputfile"
	"github.com/grpcpulse/grpcpulse/report"
)

// maxShownFile bounds a file report show reads: reports are kilobytes, a
// long run's timeline at most a few megabytes.
const maxShownFile = 256 << 20

// shown is one file report show renders: a run's report or a diagnose probe.
type shown struct {
	path  string
	sum   *report.Summary
	probe *report.Probe
}

// readShown reads run reports and diagnose probes, telling them apart by
// their schema; an error names the file.
func readShown(ctx context.Context, paths []string) ([]shown, error) {
	var out []shown
	for _, path := range paths {
		data, err := readReportFile(ctx, path)
		if err != nil {
			return nil, fmt.Errorf("report %s: %w", path, err)
		}
		d := shown{path: path}
		var head struct {
			Schema string `json:"schema"`
		}
		if json.Unmarshal(data, &head) == nil && strings.HasPrefix(head.Schema, strings.TrimSuffix(report.ProbeSchema, "v1")) {
			d.probe, err = report.ReadProbeJSON(bytes.NewReader(data))
		} else {
			d.sum, err = report.ReadJSON(bytes.NewReader(data))
		}
		if err != nil {
			return nil, fmt.Errorf("report %s: %w", path, err)
		}
		out = append(out, d)
	}
	return out, nil
}

func readReportFile(ctx context.Context, path string) ([]byte, error) {
	data, err := inputfile.Read(ctx, path, maxShownFile)
	if errors.Is(err, inputfile.ErrTooLarge) {
		err = fmt.Errorf("larger than %d MiB", maxShownFile>>20)
	}
	return data, err
}

// check refuses a rendering d does not have: a probe has only text and
// json.
func (d shown) check(t cli.OutputTarget) error {
	if d.probe != nil && t.Format != "text" && t.Format != "json" {
		return cli.UsageErrorf("%s is a diagnose probe: it renders as text or json, not %s", d.path, t.Format)
	}
	return nil
}

// render writes d as t says (check first).
func (d shown) render(w io.Writer, t cli.OutputTarget, streams *cli.IOStreams) error {
	if d.probe == nil {
		return cli.RenderSummary(w, d.sum, t.Format, streams, t.Path)
	}
	return cli.RenderProbe(w, d.probe, t.Format, streams, t.Path)
}
