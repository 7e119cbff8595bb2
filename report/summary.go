package report

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// Schema names the JSON report format this package writes and reads.
const Schema = "grpcpulse.report/v1"

// Summary is the outcome of a run as plain data: the only input of the
// renderers, and what the JSON report holds (see docs/report.md).
type Summary struct {
	Schema string `json:"schema"`
	Tool   Tool   `json:"tool"`
	// Engine is the client that measured the run: "grpc" (grpc-go) or
	// "h2" (the lean HTTP/2 engine); "mixed" for a merge of runs of both.
	// "" in reports written before it existed, which grpc-go measured
	// (EngineName).
	Engine string `json:"engine,omitempty"`
	// Name and Tags are the run's --name and --tag KEY=VALUE labels, echoed
	// as given; a merged report keeps those all its sources share.
	Name    string            `json:"name,omitempty"`
	Tags    map[string]string `json:"tags,omitempty"`
	Target  string            `json:"target"`
	Method  string            `json:"method"`
	Kind    event.Kind        `json:"kind"`
	Options plan.Options      `json:"options"`
	// DataBytes is Meta.DataSize: the marshalled size of the request.
	DataBytes int64 `json:"data_bytes"`
	// DescriptorHash is Meta.DescriptorHash ("" when unknown).
	DescriptorHash string    `json:"descriptor_hash,omitempty"`
	StartedAt      Timestamp `json:"started_at"`
	// Duration is from Begin to End.
	Duration time.Duration `json:"duration_ns"`
	// Count is the recorded calls (streams, for streaming kinds), all
	// outcomes; OK and Errors split it.
	Count  int64 `json:"count"`
	OK     int64 `json:"ok"`
	Errors int64 `json:"errors"`
	// RPS is Count per second of the run's window: -z when given (calls
	// finishing after it started within it), else Duration.
	RPS         float64     `json:"rps"`
	StatusCodes StatusCodes `json:"status_codes"`
	// Latency is from each call's intended start to its end; ServiceTime
	// from its actual start. Both count every outcome. Latency also holds
	// the Cut calls, at a lower bound, so its count is Count plus Cut.
	Latency     *Histogram `json:"latency"`
	ServiceTime *Histogram `json:"service_time"`
	Messages    Messages   `json:"messages"`
	// Series holds the per-message series the kind has, by name
	// (first_message, msg_gap, msg_rtt, send_time), and stream_duration
	// for streaming kinds.
	Series map[string]*Histogram `json:"series"`
	// Methods are the methods of a weighted mix, each measured apart, in
	// the order of the scenario's calls; nil for a run of one method.
	Methods []MethodSummary `json:"methods,omitempty"`
	// LateStarts counts calls that started after they were due (open loop)
	// because every worker was in a call.
	LateStarts int64 `json:"late_starts"`
	// LateBy is how late the late starts started, from when each was due;
	// nil when none did.
	LateBy *Spread `json:"late_by,omitempty"`
	// Aborted counts calls in flight when the run was stopped.
	Aborted int64 `json:"aborted"`
	// Unstarted counts calls due within the run that never started (open
	// loop: every worker was held until the run ended).
	Unstarted int64 `json:"unstarted"`
	// PacerLate counts calls the tool itself handed out late (open loop:
	// an overloaded client machine); their latency counts from when due.
	PacerLate int64 `json:"pacer_late"`
	// PacerLateBy is how late the tool handed out the pacer-late calls,
	// from when each was due; nil when none (or in reports written before
	// it existed).
	PacerLateBy *Spread `json:"pacer_late_by,omitempty"`
	// HeldAtEnd counts, in a run that -z ended, the calls in flight at -z
	// (that ended during the drain, or were aborted): every worker held at
	// the end was waiting on the server. HeldFor is how long the longest of
	// them had been in flight then. Omitted when 0.
	HeldAtEnd int64         `json:"held_at_end,omitempty"`
	HeldFor   time.Duration `json:"held_for_ns,omitempty"`
	// Cut counts the calls the run cut before they ended, Aborted ones
	// and Unstarted ones that were due, that Latency holds at a lower bound
	// of their latency: the end of the run minus when each was due. When
	// it is not 0, Latency's figures are lower bounds too (a stall outlasted
	// the run). Omitted when 0, and in reports written before it existed.
	Cut int64 `json:"cut,omitempty"`
	// CutFor is the longest of those lower bounds: at the end of the run,
	// the oldest cut call had waited this long, so the stall lasted at
	// least this long. Omitted when Cut is 0.
	CutFor time.Duration `json:"cut_for_ns,omitempty"`
	// CutDelivering counts the Aborted calls that were streams still
	// receiving messages when the run cut them (a message after -z, or
	// within the last second before the stop): streams longer than the run,
	// not stalled; their messages are in Messages. Omitted when 0.
	CutDelivering int64 `json:"cut_delivering,omitempty"`
	// Stalled is, when the stall watchdog ended the run
	// (runner.Outcome.Stalled), how long nothing had moved; omitted
	// otherwise.
	Stalled time.Duration `json:"stalled_ns,omitempty"`
	// Failure is, when a fault of grpcpulse's own stopped the run at once
	// (a request template that failed to render: runner.Failure), what it
	// was; the figures cover the run until then. Omitted otherwise.
	Failure     string `json:"failure,omitempty"`
	Interrupted bool   `json:"interrupted"`
	// NotStarted is, for a run that made no call because it could not
	// start (the server could not be reached, its descriptors not read),
	// the error that stopped it; "" when the run started. Such a report is
	// still written, so that CI keeps what happened.
	NotStarted string `json:"not_started,omitempty"`
	// StoppedBy is the --abort-on-fail gate that ended the run early; nil
	// when the run was not stopped by one.
	StoppedBy   *Stop        `json:"stopped_by,omitempty"`
	Timeline    []Point      `json:"timeline"`
	Connections []Connection `json:"connections"`
	// Backends counts calls by remote address, most first.
	Backends        []Backend    `json:"backends"`
	ErrorsByMessage []ErrorCount `json:"errors_by_message"`
	// Connectivity is what the pool connections went through; nil in
	// reports written before it existed.
	Connectivity *Connectivity `json:"connectivity,omitempty"`
	// Compression is the bytes of the messages before and after
	// --compress; nil when the run did not compress.
	Compression *Compression `json:"compression,omitempty"`
	// FindMax is the breaking-point search of --find-max; nil for a run
	// without one.
	FindMax *FindMax `json:"find_max,omitempty"`
	// Findings is the diagnosis of the run (diagnose.Findings), most
	// severe first; empty until the caller diagnoses it.
	Findings []Finding `json:"findings"`
	// Peer is who answered, as the diagnosis identified it from the wire
	// (diagnose.Identify); nil when there was nothing to tell it from.
	Peer *Peer `json:"peer,omitempty"`
	// Assertions are the --assert gates evaluated at the end of the run
	// (EvaluateAssertions); nil when none were given.
	Assertions []AssertionResult `json:"assertions,omitempty"`
	// Sources are the reports a merged report was made of (Merge), in the
	// order given; nil for the report of a single run.
	Sources []Source `json:"sources,omitempty"`
	// MergedTools is, for a merged report whose sources were made by
	// different versions (grpcpulse or grpc-go), each distinct Tool of
	// them in the order first met (Tool is the first source's); omitted
	// when they all agree, and for a single run.
	MergedTools []Tool `json:"merged_tools,omitempty"`
}

// Tool names the versions that made a report.
// EngineMixed is the Engine of a merge of reports measured by different
// engines.
const EngineMixed = "mixed"

// EngineName is s's engine: Engine, or "grpc" for a report written before
// the field existed.
func (s *Summary) EngineName() string {
	if s.Engine == "" {
		return plan.EngineGRPC
	}
	return s.Engine
}

// EngineText says which engine measured s, for renderings: "engine grpc",
// "engine h2", "engines grpc and h2" for a mixed merge.
func EngineText(s *Summary) string {
	if e := s.EngineName(); e != EngineMixed {
		return "engine " + e
	}
	return "engines grpc and h2"
}

type Tool struct {
	Version string `json:"version"`
	GRPCGo  string `json:"grpc_go"`
	// CPUs is how many processors the client used at once (GOMAXPROCS:
	// --cpus, else all of the machine's); 0 in reports written before it
	// existed.
	CPUs int `json:"cpus,omitempty"`
}

// ToolsText lists tools in one line: "grpcpulse v0.1.0 (grpc-go 1.85.0),
// grpcpulse v0.2.0 (grpc-go 1.86.0)".
func ToolsText(tools []Tool) string {
	parts := make([]string, len(tools))
	for i, t := range tools {
		parts[i] = "grpcpulse " + cmp.Or(t.Version, "(unknown version)")
		if t.GRPCGo != "" {
			parts[i] += " (grpc-go " + t.GRPCGo + ")"
		}
	}
	return strings.Join(parts, ", ")
}

// Messages counts stream messages (1 and 1 per unary call).
type Messages struct {
	Sent     int64 `json:"sent"`
	Received int64 `json:"received"`
}

// Connection is what one pooled connection (a grpc.ClientConn) and the
// calls over it went through.
type Connection struct {
	Index int `json:"index"`
	// Remote is the last remote address seen; empty if none was.
	Remote string `json:"remote"`
	Calls  int64  `json:"calls"`
	Errors int64  `json:"errors"`
	// FailureCauses counts its failed calls by transport cause.
	FailureCauses map[event.Cause]int64 `json:"failure_causes,omitempty"`
	// StalledAt is set when calls on the connection missed their deadline
	// while it was READY (deadline_while_ready) and, from the first of them
	// on, no call succeeded and no transport was found dead: the connection
	// went silent and nothing noticed. It is when that first call ended,
	// relative to the start of measurement.
	StalledAt *time.Duration `json:"stalled_at_ns,omitempty"`
	// SilentWindows are the times calls missed their deadline on the
	// connection while it was READY and nothing came back from the server
	// (deadline_while_ready), with no success between them, whatever ended
	// them; nil when there were none.
	SilentWindows []SilentWindow `json:"silent_windows,omitempty"`
	// Transports counts the TCP connections it opened; Reconnects the times
	// it became READY again after losing one.
	Transports int64 `json:"transports"`
	Reconnects int64 `json:"reconnects"`
	// Lifetime is of its transports, open to close (those open at the end
	// of the run count until then); nil when none opened.
	Lifetime *Spread `json:"lifetime,omitempty"`
	// ReconnectLatency is from losing a transport to READY again.
	ReconnectLatency *Spread `json:"reconnect_latency,omitempty"`
	// Unavailable is its time in CONNECTING or TRANSIENT_FAILURE after its
	// first READY, within the measured run.
	Unavailable time.Duration `json:"unavailable_ns"`
	// KeepaliveTime is the keepalive interval grpc-go used at the end (see
	// KeepaliveStats.Effective); omitted when keepalive was off.
	KeepaliveTime time.Duration `json:"keepalive_time_ns,omitempty"`
	// EventCounts counts all its events by kind, kept or not.
	EventCounts map[event.EventKind]int64 `json:"event_counts,omitempty"`
	// GoAways, Closes and ConnectFailures are its parts of the
	// Connectivity counts of the same names.
	GoAways         map[string]int64      `json:"goaways,omitempty"`
	Closes          map[string]int64      `json:"closes,omitempty"`
	ConnectFailures map[event.Cause]int64 `json:"connect_failures,omitempty"`
	// RSTStreams counts the streams the server reset on it, by HTTP/2 code.
	RSTStreams map[string]int64 `json:"rst_streams,omitempty"`
	// Events are its first 50 and last 50 events, in time order;
	// DroppedEvents counts the ones between, which were counted but not
	// kept.
	Events        []Event `json:"events"`
	DroppedEvents int64   `json:"dropped_events"`
}

// SeriesStreamDuration names the series of stream durations.
const SeriesStreamDuration = "stream_duration"

// RateWindow is what rps divides by: -z when it was given, so that a rate
// run reports the rate it started calls at (the calls still finishing after
// -z started within it), else the measured duration.
func RateWindow(measured, z time.Duration) time.Duration {
	if z > 0 && z < measured {
		return z
	}
	return measured
}

// Window is what s's rps is over: RateWindow of its duration and -z, or
// for a merged report the span from its start to the latest end of a
// source's window (as merge computes rps). Renderers say "N/s over W"
// with it, so that the figure and its window agree.
func (s *Summary) Window() time.Duration {
	if len(s.Sources) == 0 {
		return RateWindow(s.Duration, s.Options.Load.Duration)
	}
	var end time.Time
	for _, src := range s.Sources {
		if e := src.StartedAt.Add(src.Window); e.After(end) {
			end = e
		}
	}
	if w := end.Sub(s.StartedAt.Time); w > 0 {
		return w
	}
	return s.Duration
}

// WindowText is the renderers' "over W" for the rps figure, with the run's
// duration when calls in flight at -z made it longer: "over 5s (calls
// ended by 5.5s)".
func (s *Summary) WindowText() string {
	w := s.Window()
	text := "over " + FormatDuration(w)
	if s.Duration > w && FormatDuration(s.Duration) != FormatDuration(w) {
		text += " (calls ended by " + FormatDuration(s.Duration) + ")"
	}
	return text
}

// Point is one second of the timeline: the calls that ended in it. The last
// point covers the rest of the run after the last full second, so it may be
// shorter.
type Point struct {
	// Second counts from Begin: point n covers [n s, n+1 s).
	Second int   `json:"second"`
	Count  int64 `json:"count"`
	Errors int64 `json:"errors"`
	// P50, P99 and Max are of the latency of the calls in the second; 0 when
	// there were none.
	P50 time.Duration `json:"p50_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
	// Width is, for the last point when the run ended within its second,
	// how much of that second the run covered (from Second to the end);
	// omitted for a full second. Rates over the point divide by it.
	Width time.Duration `json:"width_ns,omitempty"`
	// Target is, in open loop, the rate in calls per second the load's
	// schedule asked for over the point (--rps, --schedule, --stages):
	// beside Count, what the run was meant to do. Omitted in closed loop.
	Target float64 `json:"target_rps,omitempty"`
}

// AbortedNote is how the renderers say where the Aborted calls went: into
// Latency at a lower bound when the recorder took them (Cut), else nowhere.
func AbortedNote(s *Summary) string {
	if s.Cut > 0 {
		return "in the latency at a lower bound"
	}
	return "not recorded"
}

// ShowAborted reports whether the aborted calls get a line of their own:
// not when the run was interrupted and CutNote counts the same calls.
func ShowAborted(s *Summary) bool {
	return s.Aborted > 0 && !(s.Interrupted && s.Stalled == 0 && s.Cut == s.Aborted)
}

// CutNote is the renderers' sentence about the Cut calls ("" when none).
func CutNote(s *Summary) string {
	if s.Cut <= 0 {
		return ""
	}
	if s.CutDelivering > 0 && s.CutDelivering >= s.Aborted && s.Unstarted == 0 {
		return fmt.Sprintf("%s still delivering messages at the end %s cut; their latency counts to the end (lower bounds: "+
			"the streams outlasted the run, the longest open for %s)", Plural(int(s.CutDelivering), "stream"), Agree(s.CutDelivering, "was", "were"), FormatDuration(s.CutFor))
	}
	if s.Interrupted && s.Stalled == 0 {
		return fmt.Sprintf("%s in flight or due when the run was interrupted count in the latency at end minus due "+
			"(lower bounds; the longest had waited %s)", Plural(int(s.Cut), "call"), FormatDuration(s.CutFor))
	}
	return fmt.Sprintf("%s cut at the end (in flight or due and unstarted) count in the latency at end minus due: "+
		"the latency figures are lower bounds (a stall outlasted the run by at least %s)", Plural(int(s.Cut), "call"), FormatDuration(s.CutFor))
}

// Source is one of the single-run reports a merged report was made of.
type Source struct {
	// Label is the source's own --name and --tag labels in one line
	// (Label), kept whole so that Source stays comparable.
	Label     string    `json:"label,omitempty"`
	Target    string    `json:"target"`
	Tool      string    `json:"tool"`
	StartedAt Timestamp `json:"started_at"`
	// Duration is its measured time; Window what its rps is over (-z when
	// given, else Duration).
	Duration time.Duration `json:"duration_ns"`
	Window   time.Duration `json:"window_ns"`
	Count    int64         `json:"count"`
	Errors   int64         `json:"errors"`
	RPS      float64       `json:"rps"`
	// Concurrency is its -c.
	Concurrency int `json:"concurrency"`
	// Its pool connections are the merged report's connections with
	// indexes FirstConnection to FirstConnection+Connections-1.
	FirstConnection int `json:"first_connection"`
	Connections     int `json:"connections"`
}
