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
	creds, err := Credentials(opts.Target)
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
		holdStream(callCtx, conns[event.ProbeStream], &res, &mu, &streams)
	}()
	go func() {
		defer wg.Done()
		keepConnected(probeCtx, callCtx, conns[event.ProbeIdle], &idleCalls)
	}()
	go func() {
		defer wg.Done()
		interval := opts.BusyInterval
		if interval <= 0 {
			interval = time.Second
		}
		keepBusy(callCtx, conns[event.ProbeBusy], interval, &busyCalls, &busyFailures)
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
func holdStream(ctx context.Context, cc *grpc.ClientConn, res *event.ProbeResult, mu *sync.Mutex, opened *atomic.Int64) {
	for ctx.Err() == nil {
		method, stream, err := openIdleStream(ctx, cc)
		if err == nil {
			opened.Add(1)
		}
		if err != nil && ctx.Err() != nil {
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
		mu.Unlock()
	}
}

// openIdleStream opens health Watch, or a reflection stream when the
// server has no health service.
func openIdleStream(ctx context.Context, cc *grpc.ClientConn) (string, grpc.ClientStream, error) {
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
	return "", nil, errors.New("the server has neither the health service nor reflection, so no idle stream can be held")
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
func keepConnected(ctx, callCtx context.Context, cc *grpc.ClientConn, calls *atomic.Int64) {
	for {
		state := cc.GetState()
		switch state {
		case connectivity.Idle:
			cc.Connect()
		case connectivity.Ready:
			one, cancel := context.WithTimeout(callCtx, 5*time.Second)
			_ = cc.Invoke(one, healthpb.Health_Check_FullMethodName, &healthpb.HealthCheckRequest{}, new(emptypb.Empty))
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
func keepBusy(ctx context.Context, cc *grpc.ClientConn, interval time.Duration, calls, failures *atomic.Int64) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		err := cc.Invoke(ctx, healthpb.Health_Check_FullMethodName, &healthpb.HealthCheckRequest{}, new(emptypb.Empty))
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
