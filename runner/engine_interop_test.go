package runner

import (
	"context"
	"encoding/base64"
	"fmt"
	"maps"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/interop"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// interopServer is grpc-go's interop TestService on 127.0.0.1:0, with
// interceptors that count, per method, the calls and the request messages
// the server received and the response messages it sent.
type interopServer struct {
	addr string
	mu   sync.Mutex
	// counts maps "calls", "in" and "out" to a count per method name.
	counts map[string]map[string]int64
}

func startInterop(t *testing.T) *interopServer {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &interopServer{addr: lis.Addr().String(), counts: map[string]map[string]int64{"calls": {}, "in": {}, "out": {}}}
	gs := grpc.NewServer(
		grpc.UnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			m := info.FullMethod[strings.LastIndexByte(info.FullMethod, '/')+1:]
			s.count("calls", m)
			s.count("in", m)
			resp, err := h(ctx, req)
			if err == nil {
				s.count("out", m)
			}
			return resp, err
		}),
		grpc.StreamInterceptor(func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			m := info.FullMethod[strings.LastIndexByte(info.FullMethod, '/')+1:]
			s.count("calls", m)
			return h(srv, &countedStream{ServerStream: ss, s: s, method: m})
		}))
	testgrpc.RegisterTestServiceServer(gs, interop.NewTestServer())
	go gs.Serve(lis)
	t.Cleanup(gs.Stop)
	return s
}

func (s *interopServer) count(what, method string) {
	s.mu.Lock()
	s.counts[what][method]++
	s.mu.Unlock()
}

func (s *interopServer) get(what, method string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[what][method]
}

type countedStream struct {
	grpc.ServerStream
	s      *interopServer
	method string
}

func (c *countedStream) RecvMsg(m any) error {
	err := c.ServerStream.RecvMsg(m)
	if err == nil {
		c.s.count("in", c.method)
	}
	return err
}

func (c *countedStream) SendMsg(m any) error {
	err := c.ServerStream.SendMsg(m)
	if err == nil {
		c.s.count("out", c.method)
	}
	return err
}

// interopMethod is a method of grpc.testing.TestService, found in the
// registry the generated grpc_testing package fills.
func interopMethod(t *testing.T, name string) protoreflect.MethodDescriptor {
	t.Helper()
	d, err := protoregistry.GlobalFiles.FindDescriptorByName("grpc.testing.TestService")
	if err != nil {
		t.Fatal(err)
	}
	md := d.(protoreflect.ServiceDescriptor).Methods().ByName(protoreflect.Name(name))
	if md == nil {
		t.Fatalf("no method %s in grpc.testing.TestService", name)
	}
	return md
}

// runInterop runs method of the interop service with body under opts into
// a new tally.
func runInterop(t *testing.T, opts plan.Options, method, body string) (*evTally, Outcome) {
	t.Helper()
	md := interopMethod(t, method)
	reqs, err := data.NewRequests(md.Input(), []byte(body), data.Static, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(opts, md, reqs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rec := &evTally{}
	out, err := r.Run(ctx, rec)
	if err != nil {
		t.Fatal(err)
	}
	return rec, out
}

// payload is a JSON Payload of n bytes.
func payload(n int) string {
	return `{"body":"` + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("p", n))) + `"}`
}

// TestEnginesConformInterop makes the same calls through grpc-go and the
// h2 engine against grpc-go's interop TestService and requires the same
// outcome: calls and messages counted by the server and the client,
// statuses with their messages, the per-message series and the connection
// events.
func TestEnginesConformInterop(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, body string
		n                  int64
		set                func(*plan.Options)
	}{
		{name: "empty call", method: "EmptyCall", n: 20},
		{name: "unary call", method: "UnaryCall", n: 20,
			body: `{"response_size":314,"payload":` + payload(271) + `}`},
		{name: "large unary call", method: "UnaryCall", n: 4,
			body: `{"response_size":314159,"payload":` + payload(271828) + `}`},
		{name: "unary error status", method: "UnaryCall", n: 10,
			body: `{"response_status":{"code":5,"message":"no such thing, 100% \u00e9t\u00e9"}}`},
		{name: "streaming output call", method: "StreamingOutputCall", n: 10,
			body: `{"response_parameters":[{"size":31415},{"size":9},{"size":2653},{"size":58979}]}`},
		{name: "streaming output call, none", method: "StreamingOutputCall", n: 5},
		{name: "streaming input call", method: "StreamingInputCall", n: 10,
			body: `{"payload":` + payload(27182) + `} {"payload":` + payload(8) + `} {"payload":` + payload(1828) + `} {"payload":` + payload(45904) + `}`,
			set:  func(o *plan.Options) { o.Call.Messages = 4 }},
		{name: "full duplex pipelined", method: "FullDuplexCall", n: 10,
			body: `{"response_parameters":[{"size":31415},{"size":9}]} {"response_parameters":[{"size":2653}]}`,
			set:  func(o *plan.Options) { o.Call.Messages = 6 }},
		{name: "full duplex ping-pong", method: "FullDuplexCall", n: 10,
			body: `{"response_parameters":[{"size":31415}],"payload":` + payload(27182) + `} {"response_parameters":[{"size":9}],"payload":` + payload(8) + `}`,
			set: func(o *plan.Options) {
				o.Call.Messages, o.Call.StreamPacing = 4, plan.PacingPingPong
			}},
		{name: "full duplex error after messages", method: "FullDuplexCall", n: 10,
			body: `{"response_parameters":[{"size":10}]} {"response_status":{"code":10,"message":"aborted: second message"}}`,
			set: func(o *plan.Options) {
				o.Call.Messages, o.Call.StreamPacing = 4, plan.PacingPingPong
			}},
		{name: "full duplex, many messages", method: "FullDuplexCall", n: 2,
			body: `{"response_parameters":[{"size":100}]}`,
			set:  func(o *plan.Options) { o.Call.Messages = 2000; o.Load.Concurrency = 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			type result struct {
				calls, in, out   int64
				statuses, series map[string]int
				sent, received   int64
				events           map[string]int
			}
			var got [2]result
			for i, engine := range engines {
				srv := startInterop(t)
				opts := plan.Options{
					Target: plan.Target{Addr: srv.addr, Plaintext: true, ConnectTimeout: 10 * time.Second, Engine: engine},
					Load:   plan.Load{Concurrency: 4, Connections: 1, Total: tt.n},
					Call:   plan.Call{Timeout: 10 * time.Second, Messages: 1},
				}
				if tt.set != nil {
					tt.set(&opts)
				}
				rec, out := runInterop(t, opts, tt.method, tt.body)
				series, ev := conformed(t, engine, rec, out, tt.n, 0)
				got[i] = result{calls: srv.get("calls", tt.method), in: srv.get("in", tt.method), out: srv.get("out", tt.method),
					statuses: rec.statuses(), series: series,
					sent:     rec.sum(func(c CallStats) int64 { return c.Sent }),
					received: rec.sum(func(c CallStats) int64 { return c.Received }),
					events:   ev}
			}
			g, h := got[0], got[1]
			if g.calls != tt.n || g.calls != h.calls || g.in != h.in || g.out != h.out {
				t.Errorf("the server counted calls, messages in, messages out: grpc %d %d %d, h2 %d %d %d (want %d calls)",
					g.calls, g.in, g.out, h.calls, h.in, h.out, tt.n)
			}
			if !maps.Equal(g.statuses, h.statuses) || g.sent != h.sent || g.received != h.received {
				t.Errorf("grpc: statuses %v, sent %d, received %d\nh2:   statuses %v, sent %d, received %d",
					g.statuses, g.sent, g.received, h.statuses, h.sent, h.received)
			}
			if !maps.Equal(g.series, h.series) {
				t.Errorf("series: grpc %v, h2 %v", g.series, h.series)
			}
			for _, k := range []string{"open", "settings", "goaway", "rst_stream", "close", "state READY"} {
				if g.events[k] != h.events[k] {
					t.Errorf("%q events: grpc %d, h2 %d\ngrpc %v\nh2   %v", k, g.events[k], h.events[k], g.events, h.events)
				}
			}
			if testing.Verbose() {
				t.Logf("%s: server %d calls, %d in, %d out; client sent %d, received %d; %v",
					tt.name, g.calls, g.in, g.out, g.sent, g.received, fmt.Sprint(g.statuses))
			}
		})
	}
}
