package data

import (
	"encoding/binary"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
)

// Frame is a request already in its wire format. Static requests are
// marshalled once; every call then sends the same bytes.
type Frame struct {
	wire []byte // the gRPC length-prefixed message: flag, length, bytes
	data mem.BufferSlice
	// msg and one back data within the Frame's own allocation.
	msg mem.SliceBuffer
	one [1]mem.Buffer
}

// marshalFrame marshals m behind room for its 5-byte gRPC prefix, so that
// both engines send the one buffer: grpc-go the message (it writes the
// prefix itself), runner/h2 the prefixed message.
func marshalFrame(m proto.Message) (*Frame, error) {
	b, err := proto.MarshalOptions{}.MarshalAppend(make([]byte, 5, 5+proto.Size(m)), m)
	if err != nil {
		return nil, err
	}
	binary.BigEndian.PutUint32(b[1:5], uint32(len(b)-5))
	f := &Frame{wire: b, msg: b[5:]}
	f.one[0] = &f.msg
	f.data = f.one[:]
	return f, nil
}

// Buffers returns the frame's message bytes, without the gRPC prefix.
// Nothing may write to them: a static frame is sent again and by many
// workers at once.
func (f *Frame) Buffers() mem.BufferSlice { return f.data }

// Wire returns the frame as gRPC puts it on the wire: the 5-byte prefix
// (uncompressed, length) and the message. Read only, like Buffers.
func (f *Frame) Wire() []byte { return f.wire }
