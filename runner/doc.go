// Package runner is the load engine: it makes a method's calls, of any RPC
// kind, with dynamic messages, over a pool of connections, at the rate and
// for the time its Options say, and hands every measurement to a Recorder.
// The connection layer it runs on (target, dial, TLS, frame tap, state,
// keepalive and retry knobs, connection events, the probe) is package
// runner/conn. The package never prints, exits or handles signals.
//
// # How its types fit
//
// A run is described by plan.Options (package runner/plan, a leaf of plain
// types: the same struct is echoed into the JSON report): plan.Target and
// plan.Metadata for the connection layer, plan.Load (workers, connections,
// total, duration, warm-up, and the load's shape: constant RPS, a Schedule
// of steps or a ramp, rate stages or concurrency stages) and plan.Call
// (deadline, stream messages, data templates). Each part validates itself;
// the command layer binds the flags (cmd/cli) and validates once. The
// load's shape in time is one plan.Pacer, built by Load.Pacer: when each
// call is due, the rate at t, its end and its description.
//
// What the engine observes is said in package runner/event, the other
// leaf: the RPC Kind, the per-message Series, status codes by name, the
// failure Cause of a call, connection events and the probe's results.
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
// Invoke makes one call of any event.Kind (Unary, ServerStream,
// ClientStream, Bidi; KindOf tells a method's) and is what the one-shot `call` command
// uses.
//
// The client that makes the calls is the engine (plan.Target.Engine,
// engine.go): grpc-go, or the lean HTTP/2 client of package runner/h2
// (engine_h2.go, engine_h2pool.go: a pool connection that redials after
// GOAWAY or loss with the connect backoff, and retries calls the server
// never processed on the next connection; engine_h2async.go: a closed loop
// of unary calls or bidi ping-pong streams runs as a chain the
// connection's reader drives, async.go).
// Run opens the pool through it
// and each worker calls through its pool connection's caller; nothing
// else here knows which engine runs. Both dial through runner/conn's tap,
// so they report the same connection events. --reconnect-every (churn.go)
// redials pool connections of either engine the same way, and --compress
// works with both (engine_h2compress.go for h2).
//
// New checks the Options against the method's kind (CheckKind; the rest is
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
//	runner/data                request data: JSON, templates, rendering; imports only the leaves
//	runner/conn                the connection layer; imports only the leaves
//	runner/plan, runner/event  the leaves: the description of a run, the vocabulary of what it saw;
//	                           standard library only
//	reflect                    descriptor sources: reflection, protosets, .proto files
//	internal/inputfile         reading the files flags name, yielding to a cancelled context (a FIFO
//	                           without a writer); standard library only, a leaf like plan and event
//	internal/testserver        the gRPC server behind the tests, `serve` and `demo`
//	internal/faultproxy        a TCP proxy that blackholes or resets, for tests
//	internal/intermediary      nginx and haproxy in front of a grpc-go server, for tests
//
// runner imports runner/data and runner/conn, never the reverse; report
// and its renderers import only the leaves (report/record, the adapter that
// implements Recorder, is the one that imports runner and runner/conn);
// runner, runner/conn, runner/data and the leaves import no flag library
// and never report or cmd. imports_test.go (at the module root) enforces
// these rules.
package runner
