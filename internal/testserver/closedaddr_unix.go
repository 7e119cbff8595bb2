//go:build unix

package testserver

import (
	"net"
	"strconv"
	"syscall"
)

// ReserveClosedAddr returns a loopback address on which nothing listens,
// and release to free it. It binds a TCP socket without listening on it:
// connections to the port are refused, and, as the socket does not set
// SO_REUSEADDR, neither a bind to the port nor an outgoing connection's
// ephemeral port can take it while it is held.
func ReserveClosedAddr() (addr string, release func(), err error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		return "", nil, err
	}
	syscall.CloseOnExec(fd)
	release = func() { syscall.Close(fd) }
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		release()
		return "", nil, err
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		release()
		return "", nil, err
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port)), release, nil
}
