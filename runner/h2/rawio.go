//go:build linux

package h2

import (
	"io"
	"net"
	"os"
	"syscall"
)

// rawIO reads and writes a socket's descriptor in the network poller's
// callbacks (syscall.RawConn) instead of net.Conn's Read and Write.
//
// Why: net.Conn makes each read and write a blocking system call to the
// scheduler (entersyscall), and the first one after the process was idle
// wakes the runtime's monitor thread (sysmon) from its deep sleep, after
// which it polls every 20 µs for a millisecond. A load client idles
// between the bursts of every response; that monitor alone cost a
// quarter of the client's CPU and put a thread on the cores the server
// needs (a context switch every 20 µs). A non-blocking socket never blocks
// in read or write, so the raw system call is safe (the runtime makes
// epoll_wait the same way); waiting for readiness, deadlines and Close
// stay the poller's, through RawConn.
//
// Errors are net.Conn's: a *net.OpError ("read" or "write") wrapping an
// *os.SyscallError for a failed call, io.EOF at the end, and the poller's
// own (net.ErrClosed, os.ErrDeadlineExceeded) as net.Conn gives them.
type rawIO struct {
	rc        syscall.RawConn
	net       string
	src, addr net.Addr
	// The reader's call in progress, and the writer's: the bytes, what
	// was done and the error. Each side is used by one goroutine at a time
	// (the Conn serializes its writes).
	rp    []byte
	rn    int
	rerr  syscall.Errno
	wp    []byte
	wn    int
	werr  syscall.Errno
	read  func(fd uintptr) bool
	write func(fd uintptr) bool
	try   func(fd uintptr) bool
}

// RawConn returns nc reading and writing its socket with raw system calls
// (see rawIO) when it is a *net.TCPConn or *net.UnixConn, else nc itself. Dial does it
// to the connections it makes and to a Config.Dialer's; a Dialer that wraps
// the socket (TLS, a conn that watches the bytes) makes it first, on the
// socket itself.
func RawConn(nc net.Conn) net.Conn {
	if r := newRawIO(nc); r != nil {
		return &rawConn{Conn: nc, rw: r}
	}
	return nc
}

// rawConn is a socket's net.Conn but for Read and Write.
type rawConn struct {
	net.Conn
	rw *rawIO
}

func (c *rawConn) Read(p []byte) (int, error)  { return c.rw.Read(p) }
func (c *rawConn) Write(p []byte) (int, error) { return c.rw.Write(p) }

// TryWrite writes what the socket takes of p now, never waiting for room
// (see tryWriter).
func (c *rawConn) TryWrite(p []byte) (int, error) { return c.rw.TryWrite(p) }

// newRawIO returns the rawIO of a *net.TCPConn or *net.UnixConn, else nil
// (TLS, a rawConn already, and any other wrapper: one that embeds a socket
// but has Read and Write of its own must keep them).
func newRawIO(nc net.Conn) *rawIO {
	var sc syscall.Conn
	switch c := nc.(type) {
	case *net.TCPConn:
		sc = c
	case *net.UnixConn:
		sc = c
	default:
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	r := &rawIO{rc: rc, net: "tcp", src: nc.LocalAddr(), addr: nc.RemoteAddr()}
	if r.addr != nil {
		r.net = r.addr.Network()
	}
	r.read = r.readFD
	r.write = r.writeFD
	r.try = r.tryFD
	return r
}

// readFD is one read of rp; false (the socket has nothing yet) makes
// RawConn wait for readiness and call it again.
func (r *rawIO) readFD(fd uintptr) bool {
	for {
		n, e := sysRead(fd, r.rp)
		switch e {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		r.rn, r.rerr = n, e
		return true
	}
}

// writeFD writes what is left of wp; false (the socket is full) makes
// RawConn wait until it can take more and call it again.
func (r *rawIO) writeFD(fd uintptr) bool {
	for r.wn < len(r.wp) {
		n, e := sysWrite(fd, r.wp[r.wn:])
		switch {
		case e == syscall.EINTR:
			continue
		case e == syscall.EAGAIN:
			return false
		case e != 0:
			r.werr = e
			return true
		case n == 0:
			return true // io.ErrUnexpectedEOF, as net.Conn's Write
		}
		r.wn += n
	}
	return true
}

// tryFD is writeFD that never waits: a full socket ends the call.
func (r *rawIO) tryFD(fd uintptr) bool {
	r.writeFD(fd)
	return true
}

func (r *rawIO) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r.rp = p
	err := r.rc.Read(r.read)
	r.rp = nil
	switch {
	case err != nil:
		return 0, r.opError("read", err)
	case r.rerr != 0:
		return 0, r.opError("read", os.NewSyscallError("read", r.rerr))
	case r.rn == 0:
		return 0, io.EOF
	}
	return r.rn, nil
}

func (r *rawIO) Write(p []byte) (int, error) {
	n, err := r.send(r.write, p)
	if err == nil && n < len(p) {
		err = r.opError("write", io.ErrUnexpectedEOF)
	}
	return n, err
}

// TryWrite is Write without the wait: it returns what the socket took of
// p at once, with a nil error when the socket was full.
func (r *rawIO) TryWrite(p []byte) (int, error) { return r.send(r.try, p) }

// send writes p through RawConn with the callback write (writeFD or
// tryFD).
func (r *rawIO) send(write func(fd uintptr) bool, p []byte) (int, error) {
	r.wp, r.wn, r.werr = p, 0, 0
	err := r.rc.Write(write)
	n := r.wn
	r.wp = nil
	switch {
	case err != nil:
		return n, r.opError("write", err)
	case r.werr != 0:
		return n, r.opError("write", os.NewSyscallError("write", r.werr))
	}
	return n, nil
}

// opError is err as net.Conn's Read or Write gives it: RawConn's own
// errors say "raw-read" and "raw-write".
func (r *rawIO) opError(op string, err error) error {
	if oe, ok := err.(*net.OpError); ok {
		e := *oe
		e.Op = op
		return &e
	}
	return &net.OpError{Op: op, Net: r.net, Source: r.src, Addr: r.addr, Err: err}
}
