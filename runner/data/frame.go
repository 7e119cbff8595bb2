package data

import (
	"encoding/binary"
	"sync/atomic"

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
	// packed is the frame compressed (Packed), once made.
	packed atomic.Pointer[packedWire]
}

type packedWire struct {
	codec string
	wire  []byte
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

// Packed returns the frame as it goes on the wire compressed with codec:
// pack's compression of Wire (a length-prefixed message with the
// compressed flag set), made on the first call and kept, so that a static
// frame is compressed once for the whole run and a rendered one for its
// call. Safe for concurrent use (two first calls at once may both pack;
// either result is kept); read only, like Wire.
func (f *Frame) Packed(codec string, pack func(wire []byte) ([]byte, error)) ([]byte, error) {
	if p := f.packed.Load(); p != nil && p.codec == codec {
		return p.wire, nil
	}
	b, err := pack(f.wire)
	if err != nil {
		return nil, err
	}
	f.packed.Store(&packedWire{codec: codec, wire: b})
	return b, nil
}
