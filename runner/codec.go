package runner

import (
	"fmt"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"

	"github.com/grpcpulse/grpcpulse/runner/data"
)

// discard stands for a response the run does not need to read.
type discard struct{}

// rawCodec sends frames as they are and drops responses without decoding
// them. grpc-go frees the buffers Marshal returns after writing them;
// SliceBuffer's Free does nothing, so a frame can be sent again and by many
// workers at once (nothing writes to it).
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	f, ok := v.(*data.Frame)
	if !ok {
		return nil, fmt.Errorf("rawCodec: cannot marshal %T", v)
	}
	return f.Buffers(), nil
}

func (rawCodec) Unmarshal(_ mem.BufferSlice, v any) error {
	if _, ok := v.(*discard); !ok {
		return fmt.Errorf("rawCodec: cannot unmarshal into %T", v)
	}
	return nil
}

// Name is "proto": the bytes are protobuf, and the content type says so.
func (rawCodec) Name() string { return "proto" }

// rawResponse receives a response's bytes as they arrived, so that a
// response the client cannot decode is still there to show.
type rawResponse struct{ b []byte }

// invokeCodec marshals requests as protobuf and keeps responses raw: a
// one-shot call decodes them itself (see InvokeRaw).
type invokeCodec struct{}

func (invokeCodec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("invokeCodec: cannot marshal %T", v)
	}
	b, err := proto.Marshal(m)
	if err != nil {
		return nil, err
	}
	return mem.BufferSlice{mem.SliceBuffer(b)}, nil
}

func (invokeCodec) Unmarshal(data mem.BufferSlice, v any) error {
	r, ok := v.(*rawResponse)
	if !ok {
		return fmt.Errorf("invokeCodec: cannot unmarshal into %T", v)
	}
	r.b = data.Materialize()
	return nil
}

func (invokeCodec) Name() string { return "proto" }
