package h2

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrNotProcessed is wrapped by the error of a call the server never
// processed: its stream was above the last_stream_id of a GOAWAY, the server
// refused it (RST_STREAM REFUSED_STREAM), its HEADERS never went out, or the
// connection was draining, closed or out of stream IDs when it started.
// Such a call is safe to retry on a new connection.
var ErrNotProcessed = errors.New("h2: call not processed, retry on a new connection")

// ErrClosed is the cause of the failures of calls on a connection closed by
// Close.
var ErrClosed = errors.New("h2: connection closed by the client")

// StatusError is the error of a call that did not end with status OK. It
// carries the gRPC status code and message (status.FromError gives a
// *status.Status with them) and, where there is one, the cause (errors.Is
// sees ErrNotProcessed, ErrClosed, context errors, read errors).
type StatusError struct {
	Code    codes.Code
	Message string
	Cause   error
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("rpc error: code = %s desc = %s", e.Code, e.Message)
}

// GRPCStatus makes status.FromError and status.Code work on a StatusError.
func (e *StatusError) GRPCStatus() *status.Status { return status.New(e.Code, e.Message) }

// Unwrap returns the cause.
func (e *StatusError) Unwrap() error { return e.Cause }

// rstCodes maps a RST_STREAM error code to the gRPC code grpc-go gives it
// (internal/transport/http_util.go, http2ErrConvTab).
var rstCodes = map[http2.ErrCode]codes.Code{
	http2.ErrCodeNo:                 codes.Internal,
	http2.ErrCodeProtocol:           codes.Internal,
	http2.ErrCodeInternal:           codes.Internal,
	http2.ErrCodeFlowControl:        codes.ResourceExhausted,
	http2.ErrCodeSettingsTimeout:    codes.Internal,
	http2.ErrCodeStreamClosed:       codes.Internal,
	http2.ErrCodeFrameSize:          codes.Internal,
	http2.ErrCodeRefusedStream:      codes.Unavailable,
	http2.ErrCodeCancel:             codes.Canceled,
	http2.ErrCodeCompression:        codes.Internal,
	http2.ErrCodeConnect:            codes.Internal,
	http2.ErrCodeEnhanceYourCalm:    codes.ResourceExhausted,
	http2.ErrCodeInadequateSecurity: codes.PermissionDenied,
	http2.ErrCodeHTTP11Required:     codes.Internal,
}

// rstCode is the gRPC code of a stream the server reset.
func rstCode(c http2.ErrCode) codes.Code {
	if code, ok := rstCodes[c]; ok {
		return code
	}
	return codes.Unknown
}

// httpCode is the gRPC code grpc-go derives from a non-gRPC HTTP status
// (HTTPStatusConvTab); any other status is Unknown.
func httpCode(status int) codes.Code {
	switch status {
	case 400:
		return codes.Internal
	case 401:
		return codes.Unauthenticated
	case 403:
		return codes.PermissionDenied
	case 404:
		return codes.Unimplemented
	case 429, 502, 503, 504:
		return codes.Unavailable
	}
	return codes.Unknown
}

// validContentType reports whether v is application/grpc, optionally with a
// +subtype or ;parameters, as grpc-go's grpcutil.ContentSubtype accepts.
func validContentType(v string) bool {
	const base = "application/grpc"
	if !strings.HasPrefix(v, base) {
		return false
	}
	return len(v) == len(base) || v[len(base)] == '+' || v[len(base)] == ';'
}

// decodeGRPCMessage percent-decodes a grpc-message value the way grpc-go
// does: a '%' not followed by two hex digits stays as it is.
func decodeGRPCMessage(msg string) string {
	if strings.IndexByte(msg, '%') < 0 {
		return msg
	}
	var sb strings.Builder
	sb.Grow(len(msg))
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c == '%' && i+2 < len(msg) {
			if v, err := strconv.ParseUint(msg[i+1:i+3], 16, 8); err == nil {
				sb.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

// appendTimeout appends d as a grpc-timeout value (at most 8 digits and a
// unit, rounded up), as grpc-go's encodeTimeout does.
func appendTimeout(b []byte, d time.Duration) []byte {
	if d <= 0 {
		return append(b, '0', 'n')
	}
	const maxValue = 1e8 - 1
	units := [...]struct {
		d time.Duration
		c byte
	}{{time.Nanosecond, 'n'}, {time.Microsecond, 'u'}, {time.Millisecond, 'm'}, {time.Second, 'S'}, {time.Minute, 'M'}, {time.Hour, 'H'}}
	for _, u := range units {
		v := int64(d / u.d)
		if d%u.d > 0 {
			v++
		}
		if v <= maxValue || u.c == 'H' {
			return append(strconv.AppendInt(b, min(v, maxValue), 10), u.c)
		}
	}
	return b
}
