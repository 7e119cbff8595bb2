//go:build unix

package intermediary

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// RequireBinary returns the path of the program name (searched on PATH and
// in the sbin folders), or ends the test as Missing says.
func RequireBinary(t testing.TB, name string) string {
	t.Helper()
	return requireBinary(t, name)
}

// Process is a child program running in its own process group, with its
// stdout and stderr collected, for tests that run servers other than the
// proxies here (internal/peers).
type Process struct{ p *process }

// StartProcess runs path args in a new process group.
func StartProcess(path string, args ...string) (*Process, error) {
	p, err := start(path, args...)
	if err != nil {
		return nil, err
	}
	return &Process{p: p}, nil
}

// Output returns what the process wrote to stdout and stderr so far.
func (p *Process) Output() string { return p.p.output.String() }

// WaitReady polls addr until the process listens there (not another
// process that took the port first), the process exits, or ReadyTimeout.
func (p *Process) WaitReady(addr string) error { return p.p.waitReady(addr) }

// Exited is closed when the process has exited; Err is then its Wait error.
func (p *Process) Exited() <-chan struct{} { return p.p.done }

// Err is the process's Wait result, once Exited is closed.
func (p *Process) Err() error { return p.p.err }

// Stop ends the process group gracefully: SIGTERM, then SIGKILL after 3s,
// and waits (bounded) until no member is left.
func (p *Process) Stop() error { return p.p.stop() }

// Signal sends sig to the process group; Exited tells when it is gone.
func (p *Process) Signal(sig syscall.Signal) error {
	return syscall.Kill(-p.p.cmd.Process.Pid, sig)
}

// Kill ends the process group at once with SIGKILL (a crash: no GOAWAY, no
// FIN from the program itself) and waits, bounded, for the leader to exit.
func (p *Process) Kill() error {
	pgid := p.p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	select {
	case <-p.p.done:
		return nil
	case <-time.After(5 * time.Second):
		return fmt.Errorf("process group %d still running 5s after SIGKILL", pgid)
	}
}
