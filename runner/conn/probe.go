package conn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// ProbeOptions configures Probe.
type ProbeOptions struct {
	Target plan.Target
	// Metadata goes with the probe's calls (health, reflection), as
	// Metadata.Call resolves it.
	Metadata plan.Metadata
	// Duration is how long the connections are watched.
	Duration time.Duration
	// BusyInterval is the pause between the busy connection's calls; 0 means 1s.
	BusyInterval time.Duration
	// Method, when set ("/pkg.Service/Method"), is a method of the server's
	// the probe uses, for a server without health or reflection: a
	// streaming one holds the open stream (one empty request, then
	// nothing); a unary one makes the idle and busy connections' calls.
	// ClientStreams and ServerStreams say its kind.
	Method                       string
	ClientStreams, ServerStreams bool `json:"-"`
}

// streaming reports whether o.Method is a streaming method.
func (o *ProbeOptions) streaming() bool {
	return o.Method != "" && (o.ClientStreams || o.ServerStreams)
}

// callMethod is the method of the idle and busy connections' calls: the
// unary Method when given, else health Check (whatever its answer, even
// Unimplemented, a call is a request).
func (o *ProbeOptions) callMethod() string {
	if o.Method != "" && !o.streaming() {
		return o.Method
	}
	return healthpb.Health_Check_FullMethodName
}

const (
	healthWatch     = "/grpc.health.v1.Health/Watch"
	reflectionInfo  = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
	reflectionAlpha = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
)

// Spanned is a recorder that is told when a recording begins and ends, as
// the report's recorder is (it times the recording by them).
type Spanned interface {
	Begin(start time.Time)
	End(end time.Time)
}

// Probe watches three connections to opts.Target for
// opts.Duration (see event.ProbeStream, event.ProbeIdle, event.ProbeBusy), reporting their
// events to rec, after timing one handshake step by step. It needs no method
// of the server's: it uses the health service, or else reflection. It
// returns an error (a *DialError when it names a cause) only when the
// metadata cannot be resolved or no connection can be made at all.
//
// Probe owns the recording's lifecycle: when rec is also Spanned, Probe
// calls Begin before it dials and End once every connection is closed, so
// the caller only makes the recorder and reads it afterwards.
func Probe(ctx context.Context, opts ProbeOptions, rec EventRecorder) (event.ProbeResult, error) {
	var res event.ProbeResult
	md, err := opts.Metadata.Call()
	if err != nil {
		return res, err
	}
	creds, err := Credentials(ctx, opts.Target)
	if err != nil {
		return res, err
	}
	res.Started = time.Now()
	if span, ok := rec.(Spanned); ok {
		span.Begin(res.Started)
		defer func() { span.End(time.Now()) }() // after the connections close (deferred below)
	}
	gate := NewGate(rec)
	conns := make([]*grpc.ClientConn, 3)
	for i := range conns {
		cc, err := Dial(ctx, opts.Target, grpc.WithTransportCredentials(Tap(creds, i, gate.Send, nil)))
		if err != nil {
			gate.Close()
			for _, c := range conns[:i] {
				c.Close()
			}
			return res, err
		}
		conns[i] = cc
	}
	defer func() {
		gate.Close() // the probe's own closes are not events of the probe, and nothing comes after it returns
		for _, cc := range conns {
			cc.Close()
		}
	}()
	if res.Handshake, err = handshake(ctx, opts.Target); err != nil {
		res.HandshakeErr = err.Error()
	}

	probeCtx, cancel := context.WithTimeout(ctx, opts.Duration)
	defer cancel()
	watchCtx, stopWatching := context.WithCancel(context.Background())
	var watches []*StateWatch
	for i, cc := range conns {
		watches = append(watches, WatchState(watchCtx, i, cc, gate.Send))
	}
	callCtx := metadata.NewOutgoingContext(probeCtx, md)
	var wg sync.WaitGroup
	var mu sync.Mutex // guards res.Stream* while the goroutines run
	var busyCalls, busyFailures, streams, idleCalls atomic.Int64
	wg.Add(3)
	go func() {
		defer wg.Done()
		holdStream(callCtx, conns[event.ProbeStream], &opts, &res, &mu, &streams)
	}()
	go func() {
		defer wg.Done()
		keepConnected(probeCtx, callCtx, conns[event.ProbeIdle], opts.callMethod(), &idleCalls)
	}()
	go func() {
		defer wg.Done()
		interval := opts.BusyInterval
		if interval <= 0 {
			interval = time.Second
		}
		keepBusy(callCtx, conns[event.ProbeBusy], opts.callMethod(), interval, &busyCalls, &busyFailures)
	}()
	wg.Wait()
	stopWatching()
	for _, w := range watches {
		w.Wait()
	}
	res.BusyCalls, res.BusyFailures = busyCalls.Load(), busyFailures.Load()
	res.Calls = []int64{event.ProbeStream: streams.Load(), event.ProbeIdle: idleCalls.Load(), event.ProbeBusy: res.BusyCalls}
	res.Ended = time.Now()
	res.Interrupted = ctx.Err() != nil
	return res, nil
}

// holdStream keeps one stream open that carries no data after it starts:
// health Watch (the server answers once, then stays silent), or else a
// reflection stream on which nothing is asked. When the stream ends it is
// opened again, until ctx ends.
// opened counts the streams opened.
func holdStream(ctx context.Context, cc *grpc.ClientConn, opts *ProbeOptions, res *event.ProbeResult, mu *sync.Mutex, streams *atomic.Int64) {
	quick := 0 // streams in a row that ended within a second: a method that cannot be held
	for ctx.Err() == nil {
		opened := time.Now()
		method, stream, err := openIdleStream(ctx, cc, opts)
		if err == nil {
			streams.Add(1)
		}
		if err != nil && ended(ctx) {
			return // the probe ended while the stream was being opened again
		}
		mu.Lock()
		if err != nil {
			res.StreamErr = err.Error()
			mu.Unlock()
			return
		}
		res.Stream = method
		mu.Unlock()
		err = drain(stream)
		if ctx.Err() != nil {
			return
		}
		mu.Lock()
		res.StreamEnds = append(res.StreamEnds, status.Convert(err).String())
		if quick++; time.Since(opened) >= time.Second {
			quick = 0
		}
		if quick == 3 {
			res.StreamErr = fmt.Sprintf("%s ended at once three times (%s), so it cannot be held open", method, status.Convert(err).Message())
			res.Stream = ""
			mu.Unlock()
			return
		}
		mu.Unlock()
	}
}

// openIdleStream opens the streaming Method when given, else health Watch,
// or a reflection stream when the server has no health service.
func openIdleStream(ctx context.Context, cc *grpc.ClientConn, opts *ProbeOptions) (string, grpc.ClientStream, error) {
	if opts.streaming() {
		return openMethodStream(ctx, cc, opts)
	}
	stream, err := cc.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, healthWatch, grpc.WaitForReady(true))
	if err == nil {
		err = stream.SendMsg(&healthpb.HealthCheckRequest{})
	}
	if err == nil {
		err = stream.CloseSend()
	}
	if err == nil {
		var first healthpb.HealthCheckResponse
		if err = stream.RecvMsg(&first); err == nil {
			return healthWatch, stream, nil
		}
	}
	if status.Code(err) != codes.Unimplemented {
		return "", nil, fmt.Errorf("health Watch: %w", err)
	}
	for _, method := range []string{reflectionInfo, reflectionAlpha} {
		stream, err := cc.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, method, grpc.WaitForReady(true))
		if err != nil {
			continue
		}
		// A stream is only known to exist once the server has answered
		// something; ask one thing, then nothing more.
		if err := stream.SendMsg(listServices); err == nil {
			if err := stream.RecvMsg(new(emptypb.Empty)); err == nil {
				return method, stream, nil
			}
		}
	}
	return "", nil, errors.New(noStreamReason(ctx, cc))
}

// noStreamReason says why no idle stream could be held: what the server
// has (health Check without Watch is common) and what to give instead.
func noStreamReason(ctx context.Context, cc *grpc.ClientConn) string {
	const give = "; give a streaming method of the server's (diagnose ADDR METHOD, with --proto or --protoset) to hold one"
	one, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := cc.Invoke(one, healthpb.Health_Check_FullMethodName, &healthpb.HealthCheckRequest{}, new(emptypb.Empty))
	if c := status.Code(err); c != codes.Unimplemented && c != codes.DeadlineExceeded && c != codes.Canceled {
		return "the server has the health service's Check but not Watch, and no reflection, so no idle stream can be held" + give
	}
	return "the server has neither the health service nor reflection, so no idle stream can be held" + give
}

// openMethodStream opens opts.Method with one empty request (every field
// at its default: what a message with no fields set encodes to), closing
// the send side unless the client streams, so that the stream carries no
// data afterwards. A stream is only known to exist once the server has
// answered: headers, a message, or its end.
func openMethodStream(ctx context.Context, cc *grpc.ClientConn, opts *ProbeOptions) (string, grpc.ClientStream, error) {
	desc := &grpc.StreamDesc{ClientStreams: opts.ClientStreams, ServerStreams: opts.ServerStreams}
	stream, err := cc.NewStream(ctx, desc, opts.Method, grpc.WaitForReady(true))
	if err == nil {
		err = stream.SendMsg(new(emptypb.Empty))
	}
	if err == nil && !opts.ClientStreams {
		err = stream.CloseSend()
	}
	if err == nil {
		err = answered(stream, methodAnswerWait)
	}
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", opts.Method, err)
	}
	return opts.Method, stream, nil
}

// methodAnswerWait is how long a held method's stream may stay without
// headers before it is taken as open: a server may send none until its
// first message.
const methodAnswerWait = 2 * time.Second

// answered waits up to wait for the stream's headers: the error of a
// stream the server refused at once (Unimplemented, a bad request), or nil
// when headers came or none came in time (the server holds it).
func answered(stream grpc.ClientStream, wait time.Duration) error {
	done := make(chan error, 1)
	go func() {
		_, err := stream.Header()
		done <- err
	}()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return nil
	}
}

// listServices is a reflection request; v1 and v1alpha messages are the
// same on the wire, so it serves both. (An empty message reads any answer,
// keeping its fields as unknown ones.)
var listServices = &reflectionv1.ServerReflectionRequest{
	MessageRequest: &reflectionv1.ServerReflectionRequest_ListServices{ListServices: "*"}}

// drain reads a stream until it ends and returns why it ended.
func drain(stream grpc.ClientStream) error {
	for {
		err := stream.RecvMsg(new(emptypb.Empty))
		if err != nil {
			if errors.Is(err, io.EOF) {
				return status.Error(codes.OK, "the server ended the stream")
			}
			return err
		}
	}
}

// keepConnected keeps cc connected with one call per transport: whenever it
// leaves READY it is reconnected at once, so reconnects can be timed, and
// each time it is READY it makes one health check (whatever its answer,
// even Unimplemented, it is a request) and then stays idle. calls counts
// those checks.
func keepConnected(ctx, callCtx context.Context, cc *grpc.ClientConn, method string, calls *atomic.Int64) {
	for {
		state := cc.GetState()
		switch state {
		case connectivity.Idle:
			cc.Connect()
		case connectivity.Ready:
			one, cancel := context.WithTimeout(callCtx, 5*time.Second)
			_ = cc.Invoke(one, method, new(emptypb.Empty), new(emptypb.Empty))
			cancel()
			calls.Add(1)
		}
		if !cc.WaitForStateChange(ctx, state) {
			return
		}
	}
}

// keepBusy makes a health check every interval until ctx ends, counting
// the calls and those that failed for the transport's sake.
func keepBusy(ctx context.Context, cc *grpc.ClientConn, method string, interval time.Duration, calls, failures *atomic.Int64) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		err := cc.Invoke(ctx, method, new(emptypb.Empty), new(emptypb.Empty))
		if ctx.Err() != nil {
			return
		}
		calls.Add(1)
		if status.Code(err) == codes.Unavailable {
			failures.Add(1)
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}

// ended reports whether ctx is done or its deadline has passed: grpc-go
// fails a call with DeadlineExceeded from the deadline itself, a moment
// before ctx's own timer marks it done.
func ended(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}
