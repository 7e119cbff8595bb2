package main

import (
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/grpcpulse/grpcpulse/internal/hostile"
)

// hostileserver NAME KIND starts one of internal/hostile's misbehaving
// servers and sets $NAME to its address. KIND is headersonly: every call gets
// response headers and then nothing. The servers have no reflection: give
// grpcpulse --protoset $TESTDATA/pulse.protoset.
func cmdHostileServer(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: hostileserver NAME headersonly")
	}
	var (
		srv *hostile.Server
		err error
	)
	switch args[1] {
	case "headersonly":
		srv, err = hostile.HeadersOnly()
	default:
		ts.Fatalf("hostileserver: unknown kind %q", args[1])
	}
	ts.Check(err)
	ts.Defer(srv.Stop)
	ts.Setenv(args[0], srv.Addr())
}
