//go:build !linux

package h2

import "net"

// RawConn is nc itself off Linux (see rawio.go).
func RawConn(nc net.Conn) net.Conn { return nc }
