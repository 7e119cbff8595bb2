package conn

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/grpcpulse/grpcpulse/runner/event"
)

// WatchDials returns a dial option that makes grpc-go's TCP connections
// itself and reports every connection attempt to sink as an EventDial (Took,
// Remote, and Err when it failed), so that a report can count attempts and
// their outcomes instead of inferring them from connectivity states. It
// dials as grpc-go does (socket keepalive on with the system's timings) and
// hands grpc-go the *net.TCPConn itself, so grpc-go still sets
// TCP_USER_TIMEOUT on it. It returns nil (dial as grpc-go does, unwatched)
// when an HTTPS proxy is configured in the environment: grpc-go's proxy
// support works only with its own dialer. conn is the pool connection's
// index, passed through to the events. Attempts are per connection, never
// per call: the call path is untouched.
func WatchDials(conn int, sink func(event.Event)) grpc.DialOption {
	for _, v := range []string{"HTTPS_PROXY", "https_proxy", "GRPC_PROXY_EXP"} {
		if os.Getenv(v) != "" {
			return nil
		}
	}
	return grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
		return DialTCP(ctx, conn, addr, sink)
	})
}

// DialTCP makes one TCP (or unix socket) connection to addr as WatchDials'
// dialer does, and reports the attempt to sink as an EventDial. The lean
// HTTP/2 engine dials with it too. An attempt the client itself abandoned
// (ctx canceled: the run ended, or the pool connection closed while it
// redialled) is not reported: it says nothing of the server, and counted
// it would be a failed dial and the start of an outage.
func DialTCP(ctx context.Context, conn int, addr string, sink func(event.Event)) (net.Conn, error) {
	d := net.Dialer{KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: -1, Interval: -1, Count: -1}}
	network, address := dialTarget(addr)
	start := time.Now()
	c, err := d.DialContext(ctx, network, address)
	end := time.Now()
	if err != nil && errors.Is(ctx.Err(), context.Canceled) {
		return nil, err
	}
	e := event.Event{Conn: conn, Time: end, Kind: event.EventDial, Remote: address, Took: end.Sub(start)}
	if err != nil {
		e.Err = err.Error()
		e.Cause = ClassifyMessage(codes.Unavailable, e.Err, false)
	}
	sink(e)
	return c, err
}

// dialTarget is the network and address of what grpc-go hands a custom
// dialer: host:port, or a unix socket as "unix://path", "unix:path" or an
// abstract name starting with a NUL byte.
func dialTarget(addr string) (network, address string) {
	switch {
	case strings.HasPrefix(addr, "unix://"):
		return "unix", strings.TrimPrefix(addr, "unix://")
	case strings.HasPrefix(addr, "unix:"):
		return "unix", strings.TrimPrefix(addr, "unix:")
	case strings.HasPrefix(addr, "\x00"):
		return "unix", "@" + addr[1:]
	}
	return "tcp", addr
}
