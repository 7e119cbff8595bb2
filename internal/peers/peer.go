//go:build unix

package peers

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/internal/intermediary"
)

// Stack names a gRPC implementation this package can run.
type Stack string

const (
	GRPCJS Stack = "grpc-js"
	CCore  Stack = "c-core"
)

// Channel argument names. grpc-js and C-core share the connection age and
// idle names; ping enforcement is C-core's (grpc-js does not enforce a ping
// rate on the server).
const (
	ArgMaxConnectionAge      = "grpc.max_connection_age_ms"
	ArgMaxConnectionAgeGrace = "grpc.max_connection_age_grace_ms"
	ArgMaxConnectionIdle     = "grpc.max_connection_idle_ms"
	ArgPermitWithoutCalls    = "grpc.keepalive_permit_without_calls"
	ArgMinRecvPingInterval   = "grpc.http2.min_recv_ping_interval_without_data_ms"
	ArgMaxPingStrikes        = "grpc.http2.max_ping_strikes"
)

// ReadyTimeout bounds how long Start waits for the port line.
const ReadyTimeout = 15 * time.Second

// Options are a peer's limits.
type Options struct {
	// Args are the stack's own server options (channel arguments), in
	// milliseconds or counts: {ArgMaxConnectionAge: 500}. Empty: defaults.
	Args map[string]int
	// Port is where to listen on 127.0.0.1; 0 picks a free port.
	Port int
	// LogCalls makes the server print a "call" line as each Pulse call
	// starts, for WaitCalls.
	LogCalls bool
}

// Peer is a running server of another stack.
type Peer struct {
	Stack Stack
	// Addr is 127.0.0.1:port, HTTP/2 cleartext.
	Addr string
	Port int

	opts Options
	mu   sync.Mutex
	proc *intermediary.Process
}

var portLine = regexp.MustCompile(`(?m)^port (\d+)$`)

// Start runs a server of stack with opts and waits until it prints its
// port. It stops the server when the test ends.
func Start(t testing.TB, stack Stack, opts Options) *Peer {
	t.Helper()
	p := &Peer{Stack: stack, opts: opts}
	if err := p.start(t, opts.Port); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.mu.Lock()
		proc := p.proc
		p.mu.Unlock()
		if err := proc.Stop(); err != nil {
			t.Errorf("stop %s: %v", stack, err)
		}
	})
	return p
}

func (p *Peer) start(t testing.TB, port int) error {
	path, args := command(t, p.Stack)
	args = append(args, "--port", strconv.Itoa(port))
	if p.opts.LogCalls {
		args = append(args, "--log-calls")
	}
	names := make([]string, 0, len(p.opts.Args))
	for name := range p.opts.Args {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		args = append(args, "--arg", fmt.Sprintf("%s=%d", name, p.opts.Args[name]))
	}
	// A port given back by a killed peer may take a moment to be bindable
	// again: retry a few times when the server exits at once.
	var last error
	for range 4 {
		proc, err := intermediary.StartProcess(path, args...)
		if err != nil {
			return fmt.Errorf("start %s: %v", p.Stack, err)
		}
		got, err := waitPort(proc)
		if err == nil {
			p.mu.Lock()
			p.proc, p.Port, p.Addr = proc, got, fmt.Sprintf("127.0.0.1:%d", got)
			p.mu.Unlock()
			return nil
		}
		_ = proc.Stop()
		last = err
		t.Logf("start %s on port %d: %v", p.Stack, port, err)
		if port == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond) // the kernel releasing a port, not our code
	}
	return last
}

// waitPort waits for the "port N" line, the process's exit, or ReadyTimeout.
func waitPort(proc *intermediary.Process) (int, error) {
	deadline := time.After(ReadyTimeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if m := portLine.FindStringSubmatch(proc.Output()); m != nil {
			return strconv.Atoi(m[1])
		}
		select {
		case <-proc.Exited():
			if m := portLine.FindStringSubmatch(proc.Output()); m != nil {
				return 0, fmt.Errorf("exited after printing its port: %v\n%s", proc.Err(), proc.Output())
			}
			return 0, fmt.Errorf("exited before printing its port: %v\n%s", proc.Err(), proc.Output())
		case <-deadline:
			return 0, fmt.Errorf("no port line within %v:\n%s", ReadyTimeout, proc.Output())
		case <-tick.C: // polling another process's output
		}
	}
}

// Output returns what the current process printed so far.
func (p *Peer) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.proc.Output()
}

// StopTimeout bounds a graceful Stop before SIGKILL: the servers' own
// grace is 5s.
const StopTimeout = 10 * time.Second

// Stop shuts the server down gracefully (SIGTERM: grpc-js tryShutdown,
// C-core server.stop with a grace of 5s) and waits for it to exit, with
// SIGKILL after StopTimeout.
func (p *Peer) Stop() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.proc.Exited():
		return nil
	default:
	}
	if err := p.proc.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-p.proc.Exited():
		return nil
	case <-time.After(StopTimeout):
		_ = p.proc.Kill()
		return fmt.Errorf("%s still running %v after SIGTERM: killed", p.Stack, StopTimeout)
	}
}

// WaitCalls waits until the current process has started n calls (it must
// run with Options.LogCalls), or within passes.
func (p *Peer) WaitCalls(n int, within time.Duration) error {
	deadline := time.Now().Add(within)
	for strings.Count(p.Output(), "call\n") < n {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s started %d calls in %v, want %d", p.Stack, strings.Count(p.Output(), "call\n"), within, n)
		}
		time.Sleep(10 * time.Millisecond) // polling another process's output
	}
	return nil
}

// Kill ends the server with SIGKILL: the kernel closes its sockets, the
// server sends nothing.
func (p *Peer) Kill() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.proc.Kill()
}

// Restart starts the server again, with the same options, on the same port,
// after Stop or Kill.
func (p *Peer) Restart(t testing.TB) {
	t.Helper()
	if err := p.start(t, p.Port); err != nil {
		t.Fatalf("restart %s on port %d: %v", p.Stack, p.Port, err)
	}
}

// dir is this package's folder (the scripts sit beside this file).
func dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// command returns how to run stack's server, or ends the test as
// intermediary.Missing does when a part is missing.
func command(t testing.TB, stack Stack) (string, []string) {
	t.Helper()
	switch stack {
	case GRPCJS:
		node := intermediary.RequireBinary(t, "node")
		if _, err := os.Stat(filepath.Join(dir(), "node", "node_modules", "@grpc", "grpc-js", "package.json")); err != nil {
			intermediary.Missing(t, "grpc-js not installed: run `npm ci` in internal/peers/node (.ci/run does)")
		}
		return node, []string{filepath.Join(dir(), "node", "server.js")}
	case CCore:
		return python(t), []string{filepath.Join(dir(), "python", "server.py")}
	}
	t.Fatalf("unknown stack %q", stack)
	return "", nil
}

var (
	pythonOnce sync.Once
	pythonPath string
)

// python finds a python3 that imports grpc: Debian's /usr/bin/python3 first
// (python3-grpcio installs there), then python3 on PATH.
func python(t testing.TB) string {
	t.Helper()
	pythonOnce.Do(func() {
		for _, cand := range []string{"/usr/bin/python3", "python3"} {
			path, err := exec.LookPath(cand)
			if err != nil {
				continue
			}
			if exec.Command(path, "-c", "import grpc").Run() == nil {
				pythonPath = path
				return
			}
		}
	})
	if pythonPath == "" {
		intermediary.Missing(t, "no python3 with grpcio: .ci/run installs python3-grpcio with apt-get")
	}
	return pythonPath
}

// Version returns the stack's version as its server reports it
// ("grpc-js 1.14.7", "grpcio 1.51.1").
func Version(t testing.TB, stack Stack) string {
	t.Helper()
	path, args := command(t, stack)
	var out []byte
	var err error
	switch stack {
	case GRPCJS:
		out, err = exec.Command(path, "-p", `"grpc-js " + require(process.argv[1] + "/@grpc/grpc-js/package.json").version`,
			filepath.Join(filepath.Dir(args[0]), "node_modules")).Output()
	case CCore:
		out, err = exec.Command(path, "-c", `import grpc; print("grpcio " + grpc.__version__)`).Output()
	}
	if err != nil {
		t.Fatalf("%s version: %v", stack, err)
	}
	return strings.TrimSpace(string(out))
}
