package testserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
)

// Request metadata keys that steer a call (see the package doc).
const (
	MDDelay         = "x-pulse-delay"
	MDStatus        = "x-pulse-status"
	MDStatusMessage = "x-pulse-status-message"
	MDFailAfter     = "x-pulse-fail-after"
	MDMessages      = "x-pulse-messages"
	MDSize          = "x-pulse-size"
	MDEchoHeaders   = "x-pulse-echo-headers"
	// MDFailAttempts fails the first N attempts of a call (with
	// x-pulse-status, UNAVAILABLE by default), counted by the
	// grpc-previous-rpc-attempts header a retrying client sends.
	MDFailAttempts = "x-pulse-fail-attempts"
)

// DefaultStreamMessages is how many responses ServerStream sends unless told.
const DefaultStreamMessages = 3

// MaxSize bounds x-pulse-size, so that one header cannot make the server
// allocate without limit.
const MaxSize = 64 << 20

// Echoed request facts that are not metadata keys of their own.
const (
	EchoAuthority = "x-pulse-authority"
	EchoUserAgent = "x-pulse-user-agent"
)

type pulseService struct {
	pulsepb.UnimplementedPulseServer
	unary, serverStream, clientStream, bidi atomic.Int64
	// paused, when set, is closed on Resume; calls wait for it first.
	paused atomic.Pointer[chan struct{}]
}

// wait holds a call while the server is paused.
func (p *pulseService) wait(ctx context.Context) error {
	gate := p.paused.Load()
	if gate == nil {
		return nil
	}
	select {
	case <-*gate:
		return nil
	case <-ctx.Done():
		return status.FromContextError(ctx.Err()).Err()
	}
}

func (p *pulseService) calls(method string) int64 {
	switch method {
	case "Unary":
		return p.unary.Load()
	case "ServerStream":
		return p.serverStream.Load()
	case "ClientStream":
		return p.clientStream.Load()
	case "Bidi":
		return p.bidi.Load()
	}
	return 0
}

// behaviour is what the request metadata asked of one call.
type behaviour struct {
	delay     time.Duration
	fail      *status.Status // nil: succeed
	failAfter int            // responses (or requests read) before failing
	messages  int
	size      int
	// perRequest is how many responses Bidi sends per request: the
	// x-pulse-messages value when given, else 1.
	perRequest int
}

func parseBehaviour(ctx context.Context) (behaviour, error) {
	b := behaviour{messages: DefaultStreamMessages, perRequest: 1}
	md, _ := metadata.FromIncomingContext(ctx)
	get := func(key string) string {
		if v := md.Get(key); len(v) > 0 {
			return v[len(v)-1]
		}
		return ""
	}
	var err error
	if v := get(MDDelay); v != "" {
		if b.delay, err = time.ParseDuration(v); err != nil || b.delay < 0 {
			return b, status.Errorf(codes.InvalidArgument, "%s: %q is not a duration", MDDelay, v)
		}
	}
	for _, count := range []struct {
		key string
		dst *int
		max int
	}{{MDFailAfter, &b.failAfter, 1 << 30}, {MDMessages, &b.messages, 1 << 30}, {MDSize, &b.size, MaxSize}} {
		if v := get(count.key); v != "" {
			if *count.dst, err = strconv.Atoi(v); err != nil || *count.dst < 0 || *count.dst > count.max {
				return b, status.Errorf(codes.InvalidArgument, "%s: %q is not a count from 0 to %d", count.key, v, count.max)
			}
		}
	}
	if get(MDMessages) != "" {
		b.perRequest = b.messages
	}
	if v := get(MDStatus); v != "" {
		var c codes.Code
		// UnmarshalJSON takes "NOT_FOUND" as well as numbers, and any number
		// at all: only real codes may go on the wire.
		if err := c.UnmarshalJSON([]byte(strconv.Quote(strings.ToUpper(v)))); err != nil || c > codes.Unauthenticated {
			if n, nerr := strconv.Atoi(v); nerr == nil && n >= 0 && n <= int(codes.Unauthenticated) {
				c = codes.Code(n)
			} else {
				return b, status.Errorf(codes.InvalidArgument, "%s: %q is not a status code (a name or 0-16)", MDStatus, v)
			}
		}
		if c != codes.OK {
			msg := get(MDStatusMessage)
			if msg == "" {
				msg = fmt.Sprintf("failed as asked by %s", MDStatus)
			}
			b.fail = status.New(c, msg)
		}
	}
	if v := get(MDFailAttempts); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return b, status.Errorf(codes.InvalidArgument, "%s: %q is not a count", MDFailAttempts, v)
		}
		previous, _ := strconv.Atoi(get("grpc-previous-rpc-attempts"))
		if previous >= n {
			b.fail = nil // this attempt succeeds
		} else if b.fail == nil {
			b.fail = status.Newf(codes.Unavailable, "attempt %d of the first %d fails", previous+1, n)
		}
	}
	if get(MDEchoHeaders) == "true" {
		echo := metadata.MD{EchoAuthority: md.Get(":authority"), EchoUserAgent: md.Get("user-agent")}
		for k, v := range md {
			if !strings.HasPrefix(k, ":") && !strings.HasPrefix(k, "grpc-") &&
				k != "content-type" && k != "user-agent" && k != "te" {
				echo[k] = v
			}
		}
		if err := grpc.SetHeader(ctx, echo); err != nil {
			return b, err
		}
	}
	return b, nil
}

// failNow reports whether the call must fail after done responses.
func (b behaviour) failNow(done int) bool { return b.fail != nil && done >= b.failAfter }

func (b behaviour) wait(ctx context.Context) error {
	if b.delay <= 0 {
		return nil
	}
	t := time.NewTimer(b.delay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return status.FromContextError(ctx.Err()).Err()
	}
}

func (b behaviour) response(req *pulsepb.Request, seq, received int) *pulsepb.Response {
	r := &pulsepb.Response{Seq: int64(seq), Received: int64(received)}
	if req != nil {
		r.Message, r.Id = req.GetMessage(), req.GetId()
	}
	if b.size > 0 {
		r.Payload = make([]byte, b.size)
	}
	return r
}

func (p *pulseService) Unary(ctx context.Context, req *pulsepb.Request) (*pulsepb.Response, error) {
	p.unary.Add(1)
	if err := p.wait(ctx); err != nil {
		return nil, err
	}
	b, err := parseBehaviour(ctx)
	if err != nil {
		return nil, err
	}
	if err := b.wait(ctx); err != nil {
		return nil, err
	}
	if b.fail != nil {
		return nil, b.fail.Err()
	}
	return b.response(req, 1, 1), nil
}

func (p *pulseService) ServerStream(req *pulsepb.Request, stream grpc.ServerStreamingServer[pulsepb.Response]) error {
	p.serverStream.Add(1)
	if err := p.wait(stream.Context()); err != nil {
		return err
	}
	ctx := stream.Context()
	b, err := parseBehaviour(ctx)
	if err != nil {
		return err
	}
	for sent := 0; ; sent++ {
		if b.failNow(sent) {
			return b.fail.Err()
		}
		if sent == b.messages {
			return nil
		}
		if err := b.wait(ctx); err != nil {
			return err
		}
		if err := stream.Send(b.response(req, sent+1, 1)); err != nil {
			return err
		}
	}
}

func (p *pulseService) ClientStream(stream grpc.ClientStreamingServer[pulsepb.Request, pulsepb.Response]) error {
	p.clientStream.Add(1)
	if err := p.wait(stream.Context()); err != nil {
		return err
	}
	ctx := stream.Context()
	b, err := parseBehaviour(ctx)
	if err != nil {
		return err
	}
	var last *pulsepb.Request
	received := 0
	for !b.failNow(received) {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		last = req
		received++
	}
	if b.fail != nil {
		return b.fail.Err()
	}
	if err := b.wait(ctx); err != nil {
		return err
	}
	return stream.SendAndClose(b.response(last, 1, received))
}

func (p *pulseService) Bidi(stream grpc.BidiStreamingServer[pulsepb.Request, pulsepb.Response]) error {
	p.bidi.Add(1)
	if err := p.wait(stream.Context()); err != nil {
		return err
	}
	ctx := stream.Context()
	b, err := parseBehaviour(ctx)
	if err != nil {
		return err
	}
	for sent := 0; ; sent++ {
		if b.failNow(sent) {
			return b.fail.Err()
		}
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := b.wait(ctx); err != nil {
			return err
		}
		for range b.perRequest {
			if err := stream.Send(b.response(req, sent+1, sent+1)); err != nil {
				return err
			}
		}
	}
}
