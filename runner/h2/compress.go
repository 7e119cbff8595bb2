package h2

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"sync"

	"golang.org/x/net/http2"
	"google.golang.org/grpc/codes"
)

// Gzip is the one message compression the engine has (Config.Compression),
// grpc-go's "gzip" codec.
const Gzip = "gzip"

// checkCompression refuses a Config.Compression the engine does not have.
func checkCompression(name string) error {
	if name == "" || name == Gzip {
		return nil
	}
	return fmt.Errorf("h2: compression %q is not supported (only %q is)", name, Gzip)
}

// compressionFields are the request headers of Config.Compression: the
// request messages' encoding, and the encodings the client reads.
func compressionFields(name string) []HeaderField {
	if name == "" {
		return nil
	}
	return []HeaderField{{Name: "grpc-encoding", Value: name}, {Name: "grpc-accept-encoding", Value: name}}
}

// inflates reports whether the connection decompresses a message that came
// with the compressed flag on a stream whose grpc-encoding is encoding.
func (c *Conn) inflates(encoding string) bool {
	return c.cfg.Compression != "" && encoding == c.cfg.Compression
}

var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

// CompressGzip compresses frame, one gRPC length-prefixed message (its
// 5-byte prefix included), into a new length-prefixed message with the
// compressed flag set, at gzip's default level as grpc-go's codec. An empty
// message is returned as it is, uncompressed, as grpc-go sends it. Frames
// sent with Config.Compression must be made by it (once for a message sent
// again and again).
func CompressGzip(frame []byte) ([]byte, error) {
	if len(frame) < 5 {
		return nil, fmt.Errorf("h2: a gRPC message of %d bytes has no 5-byte prefix", len(frame))
	}
	msg := frame[5:]
	if len(msg) == 0 {
		return frame, nil
	}
	buf := bytes.NewBuffer(make([]byte, 5, 5+len(msg)/2+32))
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(buf)
	_, err := zw.Write(msg)
	if err == nil {
		err = zw.Close()
	}
	zw.Reset(nil)
	gzipWriters.Put(zw)
	if err != nil {
		return nil, fmt.Errorf("h2: gzip: %w", err)
	}
	b := buf.Bytes()
	b[0] = 1
	binary.BigEndian.PutUint32(b[1:5], uint32(len(b)-5))
	return b, nil
}

// inflater is a pooled gzip reader and the reader of its input.
type inflater struct {
	zr gzip.Reader
	br bytes.Reader
}

var inflaters = sync.Pool{New: func() any { return new(inflater) }}

// inflate appends the decompression of msg, a gzip message, to dst,
// reading no more than limit+1 bytes of it: a message that decompresses to
// more than limit fails, however small it came (a gzip bomb costs limit
// bytes, no more). The errors are grpc-go's for the same (rpc_util.go's
// decompress with a registered compressor).
func inflate(dst, msg []byte, limit int) ([]byte, *StatusError) {
	f := inflaters.Get().(*inflater)
	defer func() {
		f.br.Reset(nil) // keep no message alive in the pool
		inflaters.Put(f)
	}()
	f.br.Reset(msg)
	if err := f.zr.Reset(&f.br); err != nil {
		return dst, &StatusError{Code: codes.Internal, Message: "grpc: failed to decompress the message: " + err.Error()}
	}
	start := len(dst)
	for {
		if len(dst) == cap(dst) {
			dst = slices.Grow(dst, min(max(len(dst)-start, 512), limit+1-(len(dst)-start)))
		}
		room := dst[len(dst):min(cap(dst), start+limit+1)]
		n, err := f.zr.Read(room)
		dst = dst[:len(dst)+n]
		if len(dst)-start > limit {
			return dst, &StatusError{Code: codes.ResourceExhausted,
				Message: fmt.Sprintf("grpc: received message after decompression larger than max %d", limit)}
		}
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, &StatusError{Code: codes.Internal, Message: "grpc: failed to read decompressed data: " + err.Error()}
		}
	}
}

// maxKeptInflated bounds the decompression buffer a pooled stream keeps.
const maxKeptInflated = 64 << 10

// inflateUnaryLocked decompresses the response message of s, a unary call
// that ended OK, when it came compressed: the message in rbuf becomes the
// decompressed one, and wire its size as it came. mu is held, and let go
// while decompressing: the call is over, so no other goroutine touches its
// receive buffers. A message that does not decompress, or decompresses to
// more than MaxRecvMsgSize, fails the call as grpc-go fails it.
func (c *Conn) inflateUnaryLocked(s *stream) {
	if s.code != codes.OK || s.scan < 5 || s.rbuf[0] == 0 {
		return
	}
	msg := s.rbuf[5:s.scan]
	c.mu.Unlock()
	out, se := inflate(append(s.dbuf[:0], 0, 0, 0, 0, 0), msg, c.cfg.MaxRecvMsgSize)
	c.mu.Lock()
	if se != nil {
		s.dbuf = out[:0]
		s.code, s.msg, s.cause = se.Code, se.Message, nil
		return
	}
	binary.BigEndian.PutUint32(out[1:5], uint32(len(out)-5))
	s.wire = len(msg)
	s.rbuf, s.dbuf = out, s.rbuf[:0]
	s.scan = len(out)
}

// inflateRecvLocked decompresses msg, a compressed message Recv returns
// from s, into s.dbuf (valid until the next Recv, like every message Recv
// returns). mu is held, and let go while decompressing: msg lies in rbuf
// before rd, which the reader does not write (it only appends). A message
// that fails to decompress ends the call with the error (RST_STREAM
// CANCEL), as grpc-go ends its stream.
func (c *Conn) inflateRecvLocked(s *stream, msg []byte) ([]byte, error) {
	c.mu.Unlock()
	out, se := inflate(s.dbuf[:0], msg, c.cfg.MaxRecvMsgSize)
	c.mu.Lock()
	s.dbuf = out[:0]
	if se != nil {
		if s.done {
			s.code, s.msg, s.cause = se.Code, se.Message, nil
		} else {
			c.endLocked(s, se.Code, se.Message, nil, true, http2.ErrCodeCancel)
		}
		return nil, s.outcome()
	}
	return out, nil
}

// WireSize is the size of the response message as it came, compressed or
// not, without its 5-byte prefix; len(Payload) when it came uncompressed.
// Valid until Release.
func (r *Response) WireSize() int {
	if r.s == nil || r.s.wire == 0 {
		return len(r.Payload)
	}
	return r.s.wire
}

// WireSize is the size, as it came (compressed or not, without its 5-byte
// prefix), of the message Recv returned last. It is for the goroutine that
// calls Recv.
func (st *Stream) WireSize() int { return st.wire }
