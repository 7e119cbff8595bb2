// Package hostile holds small misbehaving gRPC servers for tests: each does
// one thing a real server could do to a client, and nothing else.
package hostile

import (
	"net"
	"sync"

	"google.golang.org/grpc"
)

// Server is a running hostile server on 127.0.0.1.
type Server struct {
	srv  *grpc.Server
	lis  net.Listener
	done chan struct{}
	once sync.Once
}

// HeadersOnly starts a server that answers every call (of any method: it has
// no services, only an unknown-service handler) with response headers and
// then nothing at all (no message, no trailers) until Stop. A client without
// a deadline or a stall watchdog waits on it for ever.
func HeadersOnly() (*Server, error) {
	s := &Server{done: make(chan struct{})}
	s.srv = grpc.NewServer(grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		if err := stream.SendHeader(nil); err != nil {
			return err
		}
		select {
		case <-stream.Context().Done():
			return stream.Context().Err()
		case <-s.done:
			return nil
		}
	}))
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.lis = lis
	go s.srv.Serve(lis) //nolint:errcheck // Serve returns when Stop closes the listener
	return s, nil
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.lis.Addr().String() }

// Stop releases every held call and stops the server. It is safe to call
// more than once.
func (s *Server) Stop() {
	s.once.Do(func() {
		close(s.done)
		s.srv.Stop()
	})
}
