package runner

import (
	"context"
	"errors"
	"fmt"
	"io"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// KindOf returns the RPC kind of md.
func KindOf(md protoreflect.MethodDescriptor) event.Kind {
	switch {
	case md.IsStreamingClient() && md.IsStreamingServer():
		return event.Bidi
	case md.IsStreamingClient():
		return event.ClientStream
	case md.IsStreamingServer():
		return event.ServerStream
	}
	return event.Unary
}

// FullMethod returns the method's path as sent on the wire: /pkg.Service/Method.
func FullMethod(md protoreflect.MethodDescriptor) string {
	return fmt.Sprintf("/%s/%s", md.Parent().FullName(), md.Name())
}

// Result is what a call returned besides its messages.
type Result struct {
	Header  metadata.MD
	Trailer metadata.MD
}

// Response is one response message as it arrived: its wire bytes, and the
// message decoded from them with the method's output descriptor. When
// DecodeErr is set the client could not decode it (invalid UTF-8 in a
// string, a malformed field): Message holds what was decoded before that,
// and the call itself did not fail on the server's side.
type Response struct {
	Raw       []byte
	Message   *dynamicpb.Message
	DecodeErr error
}

// DecodeError is a response the client could not decode.
type DecodeError struct {
	Index int // 1-based, in the order the responses arrived
	Type  protoreflect.FullName
	Err   error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("response %d could not be decoded as %s: %v (the server sent it; the call did not fail)", e.Index, e.Type, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Invoke makes one call of md on cc, of whatever kind md is (see
// InvokeRaw), passing each decoded response to onResponse. A response the
// client cannot decode ends it with a *DecodeError.
func Invoke(ctx context.Context, cc grpc.ClientConnInterface, md protoreflect.MethodDescriptor,
	reqs []proto.Message, onResponse func(proto.Message) error) (Result, error) {
	n := 0
	return InvokeRaw(ctx, cc, md, reqs, nil, func(r Response) error {
		n++
		if r.DecodeErr != nil {
			return &DecodeError{Index: n, Type: md.Output().FullName(), Err: r.DecodeErr}
		}
		if onResponse == nil {
			return nil
		}
		return onResponse(r.Message)
	})
}

// InvokeRaw makes one call of md on cc, of whatever kind md is. Unary and
// server-streaming methods take exactly one request; streaming requests are
// sent in order, then the send side is closed. Each response is passed to
// onResponse in order as it arrived, decoded with resolver (for extensions;
// nil for none) keeping unknown fields (an error from onResponse cancels
// the call and is returned). The call's own failure is returned as a gRPC
// status error.
func InvokeRaw(ctx context.Context, cc grpc.ClientConnInterface, md protoreflect.MethodDescriptor,
	reqs []proto.Message, resolver data.Resolver, onResponse func(Response) error) (Result, error) {
	kind := KindOf(md)
	if (kind == event.Unary || kind == event.ServerStream) && len(reqs) != 1 {
		return Result{}, fmt.Errorf("%s is a %s method and takes exactly one request message, not %d", md.FullName(), kind, len(reqs))
	}
	var res Result
	opts := []grpc.CallOption{grpc.Header(&res.Header), grpc.Trailer(&res.Trailer), grpc.ForceCodecV2(invokeCodec{})}
	decode := func(raw *rawResponse) Response {
		r := Response{Raw: raw.b, Message: dynamicpb.NewMessage(md.Output())}
		uo := proto.UnmarshalOptions{AllowPartial: true}
		if resolver != nil {
			uo.Resolver = resolver
		}
		r.DecodeErr = uo.Unmarshal(raw.b, r.Message)
		return r
	}
	if kind == event.Unary {
		var raw rawResponse
		if err := cc.Invoke(ctx, FullMethod(md), reqs[0], &raw, opts...); err != nil {
			return res, err
		}
		return res, onResponse(decode(&raw))
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	desc := &grpc.StreamDesc{ServerStreams: md.IsStreamingServer(), ClientStreams: md.IsStreamingClient()}
	stream, err := cc.NewStream(ctx, desc, FullMethod(md), opts...)
	if err != nil {
		return res, err
	}
	sendErr := make(chan error, 1)
	go func() { sendErr <- sendAll(stream, reqs) }()
	if kind == event.ClientStream {
		// The single response only comes after the send side is closed.
		if err := <-sendErr; err != nil {
			return res, err
		}
	}
	for {
		var raw rawResponse
		err := stream.RecvMsg(&raw)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return res, err
		}
		if err := onResponse(decode(&raw)); err != nil {
			return res, err
		}
	}
	if kind != event.ClientStream {
		return res, <-sendErr
	}
	return res, nil
}

// sendAll sends reqs and closes the send side. io.EOF from SendMsg means the
// server ended the call; its status comes from RecvMsg, so it is not an error
// of sending.
func sendAll(stream grpc.ClientStream, reqs []proto.Message) error {
	for _, req := range reqs {
		if err := stream.SendMsg(req); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
	return stream.CloseSend()
}
