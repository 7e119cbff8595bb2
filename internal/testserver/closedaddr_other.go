//go:build !unix

package testserver

import "net"

// ReserveClosedAddr returns a loopback address on which nothing listens,
// and release (a no-op here). Without the unix socket calls it falls back
// to a closed listener's port, which another server may take again.
func ReserveClosedAddr() (addr string, release func(), err error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr = lis.Addr().String()
	return addr, func() {}, lis.Close()
}
