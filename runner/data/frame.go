package data

import "google.golang.org/grpc/mem"

// Frame is a request already in its wire format. Static requests are
// marshalled once; every call then sends the same bytes.
type Frame struct {
	data mem.BufferSlice
}

func newFrame(b []byte) *Frame { return &Frame{data: mem.BufferSlice{mem.SliceBuffer(b)}} }

// Buffers returns the frame's bytes. Nothing may write to them: a static
// frame is sent again and by many workers at once.
func (f *Frame) Buffers() mem.BufferSlice { return f.data }
