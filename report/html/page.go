package html

import (
	"bytes"
	"cmp"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

//go:embed html_template.html
var htmlTemplateText string

var htmlTemplate = template.Must(template.New("report").Parse(htmlTemplateText))

// htmlMaxErrors is how many error messages the page lists.
const htmlMaxErrors = 10

// htmlPercentiles are the columns of the page's percentile table.
var htmlPercentiles = []float64{50, 75, 90, 95, 99, 99.9, 99.99, 100}

// RenderHTML writes s as one self-contained HTML page: inline CSS and
// inline SVG charts drawn here (no script, no fetch of any kind), with the
// key figures, the percentiles, the latency distribution and percentile
// curve, the per-second timeline, the connection timeline (one row per
// pool connection with its events), the findings, status codes and errors.
// The output depends only on s.
func RenderHTML(w io.Writer, s *report.Summary) error {
	var b bytes.Buffer
	if err := htmlTemplate.Execute(&b, newHTMLPage(s)); err != nil {
		return fmt.Errorf("rendering html report: %w", err)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("writing html report: %w", err)
	}
	return nil
}

// htmlPage is what the template shows: text (escaped by html/template)
// and charts (SVG built by this file, its text escaped here).
type htmlPage struct {
	Title, Method, Target, Kind, Engine string
	// Name and Tags are the run's labels (--name, --tag).
	Name                        string
	Tags                        []string
	Load                        []string
	Started, Tool               string
	Figures                     []htmlFigure
	Notes                       []htmlNote
	Assertions                  []htmlAssertion
	AssertionsFailed            int
	PercentileHead              []string
	PercentileRows              []htmlRow
	Distribution, Curve         template.HTML
	Throughput, LatencyTimeline template.HTML
	TimelineNote                string
	Connections                 template.HTML
	ConnSummary                 string
	ConnMore                    int
	Backends                    []htmlBackend
	HasDiagnosis                bool
	Findings                    []htmlFinding
	StatusCodes                 []htmlCode
	ErrorsTitle                 string
	Errors                      []htmlError
	// FindMax is the breaking-point search; nil for a run without one.
	FindMax *htmlFindMax
	// Handshake is the connections' set-up times by phase.
	Handshake []htmlHandshake
	// MethodHead and Methods are the per-method table of a mix.
	MethodHead []string
	Methods    [][]string
}

type htmlFigure struct{ Label, Value, Sub, Class string }

type htmlNote struct{ Label, Text, Class string }

type htmlAssertion struct {
	Pass        bool
	Expr, Value string
}

type htmlRow struct {
	Label string
	Cells []string
}

type htmlBackend struct {
	Remote        string
	Calls, Errors int64
	Share         string
}

type htmlFinding struct {
	Severity, Class, Title, Cause, Fix string
	Evidence                           []report.Evidence
}

type htmlCode struct {
	Code         string
	Count        int64
	Share, Class string
	Width        string // of the share bar, in percent
}

type htmlError struct {
	Count         int64
	Code, Message string
}

func newHTMLPage(s *report.Summary) *htmlPage {
	p := &htmlPage{
		Title:   fmt.Sprintf("grpcpulse · %s%s → %s", namePrefix(s.Name), s.Method, s.Target),
		Name:    s.Name,
		Tags:    report.TagList(s.Tags),
		Method:  s.Method,
		Target:  s.Target,
		Kind:    string(s.Kind),
		Engine:  report.EngineText(s),
		Load:    report.LoadShape(s.Options, s.Kind),
		Started: s.StartedAt.UTC().Format(time.RFC3339),
		Tool:    "grpcpulse " + cmp.Or(s.Tool.Version, "(unknown version)"),
	}
	if s.Tool.GRPCGo != "" {
		p.Tool += " · grpc-go " + s.Tool.GRPCGo
	}
	errClass := "good"
	if s.Errors > 0 {
		errClass = "bad"
	}
	p.Figures = []htmlFigure{
		{Label: "Calls", Value: fmt.Sprint(s.Count), Sub: "ok " + fmt.Sprint(s.OK)},
		{Label: "Errors", Value: fmt.Sprint(s.Errors), Sub: report.Percent(s.Errors, s.Count), Class: errClass},
		{Label: "Throughput", Value: report.FormatRate(s.RPS) + "/s", Sub: s.WindowText()},
	}
	if s.Count > 0 {
		p.Figures = append(p.Figures,
			htmlFigure{Label: "Latency p50", Value: report.FormatDuration(s.Latency.Percentile(50))},
			htmlFigure{Label: "Latency p99", Value: report.FormatDuration(s.Latency.Percentile(99)), Sub: "max " + report.FormatDuration(s.Latency.Percentile(100))})
	}
	p.findMax(s)
	p.notes(s)
	p.assertions(s)
	p.percentiles(s)
	if s.Count > 0 {
		p.Distribution = template.HTML(distributionSVG(s.Latency))
		p.Curve = template.HTML(percentileCurveSVG(s))
	}
	if len(s.Timeline) > 0 {
		p.Throughput = template.HTML(throughputSVG(s))
		p.LatencyTimeline = template.HTML(latencyTimelineSVG(s))
		if len(s.Timeline) > timelineDetail {
			p.TimelineNote = fmt.Sprintf("%s: hover details are left out above %d.", report.Plural(len(s.Timeline), "second"), timelineDetail)
		}
	}
	p.connections(s)
	p.handshake(s)
	p.diagnosis(s)
	p.codes(s)
	if p.Methods = report.MethodRows(s); p.Methods != nil {
		p.MethodHead = report.MethodTableHead
	}
	return p
}

func (p *htmlPage) notes(s *report.Summary) {
	add := func(label, class, format string, args ...any) {
		p.Notes = append(p.Notes, htmlNote{Label: label, Class: class, Text: fmt.Sprintf(format, args...)})
	}
	if s.Kind.Streaming() {
		add("Messages", "", "sent %d, received %d", s.Messages.Sent, s.Messages.Received)
	}
	if c := s.Compression; c != nil {
		add("Compression", "", "%s", strings.Join(report.CompressionParts(c), " · "))
	}
	if n := len(s.Sources); n > 0 {
		add("Merged", "", "from %s", report.Plural(n, "report"))
	}
	if s.Count > 0 && s.OK == 0 {
		add("No success", "bad", "every call failed")
	}
	if s.StoppedBy != nil {
		add("Stopped", "bad", "early at %s by --abort-on-fail, when %s failed", report.FormatDuration(s.StoppedBy.At), s.StoppedBy.Assertion)
	}
	if s.Interrupted {
		add("Interrupted", "warn", "the run was stopped before its end; the figures cover the part that ran")
	}
	if note := report.LateStartsNote(s); note != "" {
		add("Late starts", "warn", "%s", note)
	}
	if note := report.UnstartedNote(s); note != "" {
		add("Unstarted", "warn", "%s", note)
	}
	if note := report.PacerLateNote(s); note != "" {
		add("Pacer late", "warn", "%s", note)
	}
	if report.ShowAborted(s) {
		add("Aborted", "warn", "%s in flight when the run stopped (%s)", report.Plural(int(s.Aborted), "call"), report.AbortedNote(s))
	}
	if note := report.CutNote(s); note != "" {
		add("Cut", "warn", "%s", note)
	}
}

func (p *htmlPage) assertions(s *report.Summary) {
	for _, a := range s.Assertions {
		p.Assertions = append(p.Assertions, htmlAssertion{Pass: a.Pass, Expr: a.Expr, Value: a.Value})
		if !a.Pass {
			p.AssertionsFailed++
		}
	}
}

func (p *htmlPage) percentiles(s *report.Summary) {
	if s.Count == 0 {
		return
	}
	for _, q := range htmlPercentiles {
		p.PercentileHead = append(p.PercentileHead, report.PercentileName(q))
	}
	row := func(label string, h *report.Histogram) {
		if h == nil || h.Count == 0 {
			return
		}
		r := htmlRow{Label: label}
		for _, q := range htmlPercentiles {
			r.Cells = append(r.Cells, report.FormatDuration(h.Percentile(q)))
		}
		p.PercentileRows = append(p.PercentileRows, r)
	}
	row("latency", s.Latency)
	row("service time", s.ServiceTime)
	for _, name := range report.SeriesOrder {
		row(strings.ReplaceAll(name, "_", " "), s.Series[name])
	}
}

func (p *htmlPage) connections(s *report.Summary) {
	p.ConnSummary = strings.Join(report.ConnectivityParts(s.Connectivity), " · ")
	p.Connections = template.HTML(connectionsSVG(s))
	p.ConnMore = max(len(s.Connections)-htmlMaxConns, 0)
	if len(s.Backends) > 1 {
		var total int64
		for _, b := range s.Backends {
			total += b.Calls
		}
		for _, b := range s.Backends[:min(len(s.Backends), htmlMaxConns)] {
			p.Backends = append(p.Backends, htmlBackend{Remote: b.Remote, Calls: b.Calls, Errors: b.Errors, Share: report.Percent(b.Calls, total)})
		}
	}
}

func (p *htmlPage) diagnosis(s *report.Summary) {
	p.HasDiagnosis = s.Connectivity != nil || len(s.Findings) > 0
	for _, f := range s.Findings {
		p.Findings = append(p.Findings, htmlFinding{
			Severity: strings.ToUpper(string(f.Severity)), Class: "sev-" + string(f.Severity),
			Title: f.Title, Evidence: f.Evidence, Cause: f.Cause, Fix: f.Fix,
		})
	}
}

func (p *htmlPage) codes(s *report.Summary) {
	for _, c := range s.StatusCodes {
		class := "good"
		if c.Code != 0 {
			class = "bad"
		}
		width := 0.0
		if s.Count > 0 {
			width = float64(c.Count) * 100 / float64(s.Count)
		}
		p.StatusCodes = append(p.StatusCodes, htmlCode{Code: report.CodeName(event.Code(c.Code)), Count: c.Count,
			Share: report.Percent(c.Count, s.Count), Class: class, Width: num(width)})
	}
	errs := s.ErrorsByMessage
	p.ErrorsTitle = "Errors"
	if len(errs) > htmlMaxErrors {
		p.ErrorsTitle = fmt.Sprintf("Errors (top %d of %d)", htmlMaxErrors, len(errs))
		errs = errs[:htmlMaxErrors]
	}
	for _, e := range errs {
		p.Errors = append(p.Errors, htmlError{Count: e.Count, Code: report.CodeName(e.Code), Message: e.Shown()})
	}
}

func namePrefix(name string) string {
	if name == "" {
		return ""
	}
	return name + " · "
}
