package conn

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// HTTP/2 frame types and flags the tap looks at (RFC 9113 §6).
const (
	frameRSTStream = 0x3
	frameSettings  = 0x4
	framePing      = 0x6
	frameGoAway    = 0x7
	flagAck        = 0x1
	// maxDebugData bounds the GOAWAY debug data the tap keeps.
	maxDebugData = 256
)

// keepalivePing is the payload of grpc-go's keepalive pings; its BDP
// (bandwidth-probe) pings carry another, and are not keepalive.
var keepalivePing [8]byte

// frameScanner follows the frame boundaries of one direction of an HTTP/2
// byte stream as it passes through, keeping the payload of the few frames
// the tap reports on. It copies nothing else: a DATA frame costs the parse
// of its 9-byte header. Used by one goroutine (each direction has its own).
type frameScanner struct {
	skip    int // bytes to pass over before the first frame (the client preface)
	hdr     [9]byte
	hdrN    int
	remain  int // payload bytes of the current frame still to come
	length  int // payload length of the current frame
	typ     byte
	flags   byte
	keep    int // payload bytes of the current frame worth keeping
	payload []byte
	// headers asks for header blocks (HEADERS, CONTINUATION) to be kept,
	// up to maxHeaderBlock each; set by the owner between feeds.
	headers bool
}

// h2frame is a frame the scanner reports: its type, flags and payload (up to
// what was kept; valid until the next call).
type h2frame struct {
	typ, flags byte
	payload    []byte
	length     int // the frame's payload length (payload may be cut)
}

// feed scans p and calls on for each complete frame; the payload is kept
// only for the frames of interest (empty for the others).
func (s *frameScanner) feed(p []byte, on func(h2frame)) {
	for len(p) > 0 {
		switch {
		case s.skip > 0:
			n := min(s.skip, len(p))
			s.skip -= n
			p = p[n:]
		case s.hdrN < len(s.hdr):
			n := copy(s.hdr[s.hdrN:], p)
			s.hdrN += n
			p = p[n:]
			if s.hdrN == len(s.hdr) {
				s.begin(on)
			}
		default:
			n := min(s.remain, len(p))
			if want := s.keep - len(s.payload); want > 0 {
				s.payload = append(s.payload, p[:min(n, want)]...)
			}
			s.remain -= n
			p = p[n:]
			if s.remain == 0 {
				s.end(on)
			}
		}
	}
}

// begin reads a frame header and decides what of the payload to keep.
func (s *frameScanner) begin(on func(h2frame)) {
	s.remain = int(s.hdr[0])<<16 | int(s.hdr[1])<<8 | int(s.hdr[2])
	s.typ, s.flags = s.hdr[3], s.hdr[4]
	switch s.typ {
	case framePing:
		s.keep = 8
	case frameRSTStream:
		s.keep = 4
	case frameGoAway:
		s.keep = 8 + maxDebugData
	case frameSettings:
		s.keep = 6 * 16 // more settings than RFC 9113 defines
	case frameHeaders, frameContinuation:
		if s.headers {
			s.keep = maxHeaderBlock
		} else {
			s.keep = 0
		}
	default:
		s.keep = 0
	}
	s.payload = s.payload[:0]
	s.length = s.remain
	if s.remain == 0 {
		s.end(on)
	}
}

func (s *frameScanner) end(on func(h2frame)) {
	on(h2frame{typ: s.typ, flags: s.flags, payload: s.payload, length: s.length})
	s.hdrN, s.keep = 0, 0
}

// goAway reads a GOAWAY payload: last stream id, error code, debug data.
func goAway(p []byte) (lastStream uint32, code uint32, debug string, ok bool) {
	if len(p) < 8 {
		return 0, 0, "", false
	}
	return binary.BigEndian.Uint32(p) & 0x7fffffff, binary.BigEndian.Uint32(p[4:]), string(p[8:]), true
}

// h2Codes names HTTP/2 error codes (RFC 9113 §7).
var h2Codes = [...]string{"NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR",
	"SETTINGS_TIMEOUT", "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL",
	"COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"}

func h2CodeName(c uint32) string {
	if int(c) < len(h2Codes) {
		return h2Codes[c]
	}
	return fmt.Sprintf("ERROR_0x%x", c)
}

// settingNames names HTTP/2 settings (RFC 9113 §6.5.2, RFC 8441).
var settingNames = map[uint16]string{1: "HEADER_TABLE_SIZE", 2: "ENABLE_PUSH", 3: "MAX_CONCURRENT_STREAMS",
	4: "INITIAL_WINDOW_SIZE", 5: "MAX_FRAME_SIZE", 6: "MAX_HEADER_LIST_SIZE", 8: "ENABLE_CONNECT_PROTOCOL"}

// settingsText writes a SETTINGS payload as "NAME=value NAME=value", in
// frame order: a fingerprint of the HTTP/2 implementation that sent it.
func settingsText(p []byte) string {
	var parts []string
	for ; len(p) >= 6; p = p[6:] {
		id, v := binary.BigEndian.Uint16(p), binary.BigEndian.Uint32(p[2:])
		name := settingNames[id]
		if name == "" {
			name = fmt.Sprintf("0x%x", id)
		}
		parts = append(parts, fmt.Sprintf("%s=%d", name, v))
	}
	return strings.Join(parts, " ")
}
