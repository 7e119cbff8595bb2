package runner

import (
	"fmt"

	"google.golang.org/grpc/mem"
)

// frame is a request already in its wire format. The load path marshals each
// static request once; every call then sends the same bytes.
type frame struct {
	data mem.BufferSlice
}

func newFrame(b []byte) *frame { return &frame{data: mem.BufferSlice{mem.SliceBuffer(b)}} }

// discard stands for a response the run does not need to read.
type discard struct{}

// rawCodec sends frames as they are and drops responses without decoding
// them. grpc-go frees the buffers Marshal returns after writing them;
// SliceBuffer's Free does nothing, so a frame can be sent again and by many
// workers at once (nothing writes to it).
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	f, ok := v.(*frame)
	if !ok {
		return nil, fmt.Errorf("rawCodec: cannot marshal %T", v)
	}
	return f.data, nil
}

func (rawCodec) Unmarshal(_ mem.BufferSlice, v any) error {
	if _, ok := v.(*discard); !ok {
		return fmt.Errorf("rawCodec: cannot unmarshal into %T", v)
	}
	return nil
}

// Name is "proto": the bytes are protobuf, and the content type says so.
func (rawCodec) Name() string { return "proto" }
