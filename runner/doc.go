// Package runner is the load engine: it makes a method's calls, of any RPC
// kind, with dynamic messages, over a pool of connections, at the rate and
// for the time its Options say, and hands every measurement to a Recorder.
// The connection layer it runs on (target, dial, TLS, frame tap, state,
// keepalive and retry knobs, connection events, the probe) is package
// runner/conn. The package never prints, exits or handles signals.
//
// # How its types fit
//
// Options is what a run needs besides the method and its data, and the same
// struct is echoed into the JSON report. It is composed of one struct per
// concern, each with Validate and an AddFlags the command layer binds:
// Target (plan.Target: address, TLS, keepalive, backoff, retry) and
// Metadata (plan.Metadata: request headers) from the connection layer;
// Load (workers, connections, total, duration, warm-up, constant RPS or a
// Schedule of steps or a ramp) and Call (deadline, stream messages, data
// templates) here.
//
// The request data is package runner/data: a data.Requests holds the
// request messages, parsed from JSON by data.ParseMessages (objects,
// newline-delimited JSON or an array of messages, with a data.Resolver for
// Any and extension types) or rendered per call, and per stream message,
// from a Go template (data.TemplateData: ghz's call data and functions plus
// sprig's, drawing from a random stream per worker seeded by Call.Seed).
// With Call.Template, New also compiles the metadata values that hold
// templates (data.CompileHeaders); they are rendered per call with the
// call's TemplateData. Each worker sends through its own data.Worker.
// Invoke makes one call of any Kind (Unary, ServerStream, ClientStream,
// Bidi; KindOf tells a method's) and is what the one-shot `call` command
// uses.
//
// New checks Options against the method's kind (the rest of Options is
// validated once, by the command layer) and returns a Runner; Runner.Run
// dials the pool (conn.Dial, each transport tapped with conn.Tap and
// watched with conn.WatchState), starts the workers and, in open loop, the
// pacer that hands out calls on the schedule. Each worker makes its calls
// and reports a CallStats per finished call (and a Series value per stream
// message) to its WorkerRecorder, on the hot path and without allocating
// for a success; connection events go to the Recorder when it is also a
// conn.EventRecorder. Run returns an Outcome: why the run ended, calls that
// never started, pacer lateness and, with a retry policy, conn.Attempts.
// Intended start times make latency count waiting for a free worker (no
// coordinated omission).
//
// # Package map
//
// Arrows point one way: a package imports only the ones below it.
//
//	main.go                    os.Exit(cmd.Main())
//	cmd                        the root command and the other commands; composes the flow
//	  cmd/run                  `run`: scenario files, method mixes, progress, metrics
//	  cmd/report               `report show|merge|compare`
//	  cmd/cli                  what commands share: Factory, IO streams, exit codes, output
//	  report/record            the Recorder (implements runner.Recorder) → Summary
//	  report/diagnose          pure rules: Summary → findings; the probe's checks
//	  report/gate              --assert, `report compare` limits, the in-run watcher
//	  report/html              the HTML page
//	  report/text              the terminal and Markdown renderers (lipgloss lives only here)
//	  report/merge             merging reports of runs made at the same time
//	  report/metrics           the Prometheus collector of --metrics-addr
//	report                     plain data: Summary, Finding, Probe, JSON, CSV, HGRM, shared wording
//	runner                     this package: the load engine
//	runner/data                request data: JSON, templates, rendering; imports nothing of ours
//	runner/conn                the connection layer; imports nothing of ours
//	reflect                    descriptor sources: reflection, protosets, .proto files
//	internal/testserver        the gRPC server behind the tests, `serve` and `demo`
//	internal/faultproxy        a TCP proxy that blackholes or resets, for tests
//	internal/intermediary      nginx and haproxy in front of a grpc-go server, for tests
//
// runner imports runner/data and runner/conn, never the reverse; report
// imports runner and runner/conn for plain types; none of them imports
// report or cmd.
package runner
