package runner

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// seen is what a test server received: each request message (as
// "id/message") and each call's x-request-id header, in arrival order.
type seen struct {
	mu       sync.Mutex
	messages []string
	headers  []string
}

func (s *seen) add(m any) {
	if r, ok := m.(*pulsepb.Request); ok {
		s.mu.Lock()
		s.messages = append(s.messages, fmt.Sprintf("%d/%s", r.GetId(), r.GetMessage()))
		s.mu.Unlock()
	}
}

type recvStream struct {
	grpc.ServerStream
	s *seen
}

func (r recvStream) RecvMsg(m any) error {
	err := r.ServerStream.RecvMsg(m)
	if err == nil {
		r.s.add(m)
	}
	return err
}

// watchedServer starts a test server that notes what it receives in s.
func watchedServer(t *testing.T, s *seen) *testserver.Server {
	return testserver.Start(t,
		testserver.WithCallHook(func(method string, md metadata.MD) {
			if strings.HasPrefix(method, "/grpcpulse.test.v1.Pulse/") {
				s.mu.Lock()
				s.headers = append(s.headers, strings.Join(md.Get("x-request-id"), ","))
				s.mu.Unlock()
			}
		}),
		testserver.WithServerOptions(
			grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
				s.add(req)
				return h(ctx, req)
			}),
			grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
				return h(srv, recvStream{ss, s})
			})))
}

var uuidForm = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// ghzFile is a data file as ghz users write them: a JSON array of templated
// messages, with ghz's call data and functions.
const ghzFile = `[
  {"id": "{{.RequestNumber}}", "message": "{{.MethodName}} {{.UUID}} {{randomString 6}}"},
  {"id": {{randomInt 100 200}}, "message": "{{newUUID}} w{{.WorkerID}}"}
]`

// runTemplated runs method with data and templated headers at seed and
// returns what the server saw.
func runTemplated(t *testing.T, method, body string, seed int64, set func(*plan.Options)) *seen {
	t.Helper()
	s := &seen{}
	srv := watchedServer(t, s)
	opts := plan.Options{
		Target:   plan.Target{Addr: srv.Addr(), Plaintext: true, ConnectTimeout: 10 * time.Second},
		Metadata: plan.Metadata{Headers: []string{"x-request-id: {{.UUID}}"}},
		Load:     plan.Load{Concurrency: 1, Connections: 1, Total: 10},
		Call:     plan.Call{Messages: 1, Template: true, Seed: seed},
	}
	if set != nil {
		set(&opts)
	}
	md := pulseMethod(method)
	reqs, err := data.NewRequests(md.Input(), []byte(body), data.Templated, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(opts, md, reqs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(context.Background(), &tally{}); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRunGhzDataFile(t *testing.T) {
	t.Parallel()
	a := runTemplated(t, "Unary", ghzFile, 7, nil)
	if len(a.messages) != 10 || len(a.headers) != 10 {
		t.Fatalf("server saw %d messages and %d headers, want 10 each", len(a.messages), len(a.headers))
	}
	for i, m := range a.messages {
		id, text, _ := strings.Cut(m, "/")
		f := strings.Fields(text)
		if i%2 == 0 {
			// message 1: the request number, and the call's UUID in body and header alike
			if id != fmt.Sprint(i) || len(f) != 3 || f[0] != "Unary" || f[1] != a.headers[i] || len(f[2]) != 6 {
				t.Errorf("call %d: server saw %q with x-request-id %q", i, m, a.headers[i])
			}
		} else if len(f) != 2 || !uuidForm.MatchString(f[0]) || f[1] != "w0" || id < "100" || id >= "200" {
			t.Errorf("call %d: server saw %q", i, m)
		}
		if !uuidForm.MatchString(a.headers[i]) {
			t.Errorf("call %d: x-request-id %q is not a UUID", i, a.headers[i])
		}
	}
	b := runTemplated(t, "Unary", ghzFile, 7, nil)
	if strings.Join(a.messages, "\n") != strings.Join(b.messages, "\n") || strings.Join(a.headers, ",") != strings.Join(b.headers, ",") {
		t.Errorf("--seed 7 twice sent different data:\n%q\n%q", a.messages, b.messages)
	}
	c := runTemplated(t, "Unary", ghzFile, 8, nil)
	if strings.Join(a.messages, "\n") == strings.Join(c.messages, "\n") {
		t.Error("--seed 7 and --seed 8 sent the same data")
	}
}

// Every message of a client or bidi stream is rendered, with its number.
func TestRunTemplatedStreamMessages(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"ClientStream", "Bidi", "Bidi " + plan.PacingPingPong} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			method, pacing, _ := strings.Cut(method, " ")
			s := runTemplated(t, method, `{"id": {{.MessageNumber}}, "message": "r{{.RequestNumber}}"}`, 3, func(o *plan.Options) {
				o.Load.Total = 2
				o.Call.Messages = 3
				o.Call.StreamPacing = pacing // pingpong renders each message too
			})
			want := "0/r0 1/r0 2/r0 0/r1 1/r1 2/r1"
			if got := strings.Join(s.messages, " "); got != want {
				t.Errorf("server saw %s, want %s", got, want)
			}
			if len(s.headers) != 2 || !uuidForm.MatchString(s.headers[0]) || s.headers[0] == s.headers[1] {
				t.Errorf("x-request-id per stream = %q, want a UUID each", s.headers)
			}
		})
	}
}

// The seed New picks for 0 is in the options the report echoes.
func TestNewPicksSeed(t *testing.T) {
	t.Parallel()
	md := pulseMethod("Unary")
	reqs, err := data.NewRequests(md.Input(), nil, data.Static, nil)
	if err != nil {
		t.Fatal(err)
	}
	opts := plan.Options{Load: plan.Load{Concurrency: 1, Connections: 1}, Call: plan.Call{Messages: 1}}
	r, err := New(opts, md, reqs)
	if err != nil {
		t.Fatal(err)
	}
	if r.Options().Call.Seed == 0 {
		t.Error("seed 0 was not replaced by a picked one")
	}
	opts.Call.Seed = 42
	if r, _ := New(opts, md, reqs); r.Options().Call.Seed != 42 {
		t.Errorf("seed = %d, want 42 as given", r.Options().Call.Seed)
	}
	opts.Call.Template = true
	opts.Metadata.Headers = []string{"x-a: {{if}}"}
	if _, err := New(opts, md, reqs); err == nil || !strings.Contains(err.Error(), `--template: header "x-a"`) {
		t.Errorf("broken header template: err = %v", err)
	}
}

// A header that renders as something HTTP/2 cannot carry stops the run
// before the call is made.
func TestRunTemplatedHeaderInvalid(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	md := pulseMethod("Unary")
	reqs, err := data.NewRequests(md.Input(), nil, data.Static, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(plan.Options{Target: plan.Target{Addr: srv.Addr(), Plaintext: true, ConnectTimeout: 10 * time.Second},
		Metadata: plan.Metadata{Headers: []string{`x-a: {{"\u00e9"}}`}},
		Load:     plan.Load{Concurrency: 1, Connections: 1, Total: 3}, Call: plan.Call{Messages: 1, Template: true}}, md, reqs)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Run(context.Background(), &tally{})
	if err == nil || !strings.Contains(err.Error(), `--template: rendering request 0: header "x-a" rendered as "é": only printable ASCII`) {
		t.Errorf("err = %v", err)
	}
	if n := srv.Calls("Unary"); n != 0 {
		t.Errorf("server saw %d calls, want none", n)
	}
}
