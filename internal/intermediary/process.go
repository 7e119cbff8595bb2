//go:build unix

package intermediary

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ReadyTimeout bounds how long a Start function waits for the proxy's port.
const ReadyTimeout = 10 * time.Second

// startAttempts is how often a Start function retries when the free port it
// picked was taken before the proxy could bind it.
const startAttempts = 4

// requireBinary returns the path of name, or skips the test (fails it when
// CI=true) because the binary is missing.
func requireBinary(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin"} {
		if p := dir + "/" + name; isExecutable(p) {
			return p
		}
	}
	Missing(t, fmt.Sprintf("%s not installed: .ci/run installs it with apt-get", name))
	return ""
}

// Missing ends a test whose external component is missing: it skips on a
// developer machine and fails when CI=true, where .ci/run installs
// everything.
func Missing(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// freePort returns a 127.0.0.1 port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer lis.Close()
	return lis.Addr().(*net.TCPAddr).Port
}

// process is a proxy running as a child in its own process group.
type process struct {
	cmd    *exec.Cmd
	output *syncBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // Wait's result, set before done closes
}

// syncBuffer is a bytes.Buffer safe for the writes of exec and our reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// start runs path args in a new process group, with stdout and stderr
// collected.
func start(path string, args ...string) (*process, error) {
	p := &process{output: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(path, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.output, p.output
	p.cmd.SysProcAttr = procAttr()
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// stop ends the whole process group (master and workers): SIGTERM first, so
// that the master reaps its own workers, then SIGKILL after 3 seconds. It
// waits, bounded, until no member of the group is left.
func (p *process) stop() error {
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			return fmt.Errorf("process group %d still running 5s after SIGKILL", pgid)
		}
	}
	// Signal 0 probes the group: ESRCH once every member is gone.
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(-pgid, 0) == nil {
		if time.Now().After(deadline) {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			return fmt.Errorf("process group %d still has members 5s after its leader exited", pgid)
		}
		time.Sleep(10 * time.Millisecond) // polling the kernel, not synchronising with our code
	}
	return nil
}

// errExited says the proxy exited before it accepted connections.
var errExited = errors.New("proxy exited before accepting connections")

// waitReady polls addr until it accepts a TCP connection, the process exits,
// or ReadyTimeout passes.
func (p *process) waitReady(addr string) error {
	deadline := time.Now().Add(ReadyTimeout)
	for {
		select {
		case <-p.done:
			return fmt.Errorf("%w (%v)", errExited, p.err)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			if !p.listensOn(addr) {
				// Another process took the port between freePort and the
				// proxy's bind (a parallel test, another test run): what
				// answered is not this proxy, which is failing to bind.
				return fmt.Errorf("%s: %w", addr, errPortTaken)
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not accept connections within %v: %w", addr, ReadyTimeout, err)
		}
		time.Sleep(20 * time.Millisecond) // polling a port owned by another process
	}
}

// errPortTaken: what listens on the proxy's port is another process.
var errPortTaken = errors.New("another process listens on the port: " + addrInUseText)

const addrInUseText = "address already in use"

// addrInUse reports whether a failed start's logs say the port was taken.
func addrInUse(logs string) bool {
	return strings.Contains(strings.ToLower(logs), addrInUseText)
}

// listensOn reports whether the listening socket of addr's port is one of
// the process's own descriptors (Linux's /proc; true where it cannot tell).
func (p *process) listensOn(addr string) bool {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return true
	}
	inodes := listeningInodes(port)
	if inodes == nil {
		return true
	}
	dir := fmt.Sprintf("/proc/%d/fd", p.cmd.Process.Pid)
	fds, err := os.ReadDir(dir)
	if err != nil {
		return true
	}
	for _, fd := range fds {
		if link, err := os.Readlink(dir + "/" + fd.Name()); err == nil && inodes[link] {
			return true
		}
	}
	return false
}

// listeningInodes are the sockets ("socket:[inode]") listening on port,
// from /proc/net/tcp and tcp6; nil when they cannot be read.
func listeningInodes(port string) map[string]bool {
	n, err := strconv.Atoi(port)
	if err != nil {
		return nil
	}
	hexPort := fmt.Sprintf(":%04X", n)
	var found map[string]bool
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		if found == nil {
			found = map[string]bool{}
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			// local_address rem_address st ... inode (the 10th field)
			if len(f) > 9 && strings.HasSuffix(f[1], hexPort) && f[3] == "0A" {
				found["socket:["+f[9]+"]"] = true
			}
		}
	}
	return found
}

// ms formats d for nginx and haproxy configurations ("1500ms").
func ms(d time.Duration) string { return fmt.Sprintf("%dms", d.Milliseconds()) }
