//go:build unix

package intermediary

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// Frame is one HTTP/2 frame seen on a recorded connection (or, with Type
// "CLOSE", the end of the read side: Err holds the read error).
type Frame struct {
	// At is when the frame's last byte passed, since the connection was
	// dialed.
	At time.Duration
	// Conn numbers the connection (1 for the first one the dialer made).
	Conn int
	// Sent is true for frames the client wrote, false for frames it read.
	Sent     bool
	Type     string // "SETTINGS", "GOAWAY", "RST_STREAM", "HEADERS", ..., or "CLOSE"
	StreamID uint32
	Flags    http2.Flags
	// GOAWAY and RST_STREAM fields.
	ErrCode      http2.ErrCode
	LastStreamID uint32
	Debug        string
	// Settings holds a SETTINGS frame's values ("MAX_CONCURRENT_STREAMS=128").
	Settings []string
	// Headers holds a HEADERS frame's decoded fields ("name: value").
	Headers []string
	// Err is the read error that ended the connection (Type "CLOSE").
	Err string
}

// String formats f on one line for logs and docs.
func (f Frame) String() string {
	dir := "recv"
	if f.Sent {
		dir = "sent"
	}
	s := fmt.Sprintf("conn %d %8.3fs %s %s stream=%d", f.Conn, f.At.Seconds(), dir, f.Type, f.StreamID)
	switch f.Type {
	case "GOAWAY":
		s += fmt.Sprintf(" last_stream_id=%d code=%v debug=%q", f.LastStreamID, f.ErrCode, f.Debug)
	case "RST_STREAM":
		s += fmt.Sprintf(" code=%v", f.ErrCode)
	case "SETTINGS":
		s += fmt.Sprintf(" flags=%#x %s", uint8(f.Flags), strings.Join(f.Settings, " "))
	case "HEADERS":
		s += fmt.Sprintf(" flags=%#x [%s]", uint8(f.Flags), strings.Join(f.Headers, "; "))
	case "CLOSE":
		s += " err=" + f.Err
	default:
		s += fmt.Sprintf(" flags=%#x", uint8(f.Flags))
	}
	return s
}

// FrameLog records the HTTP/2 frames of every connection made through its
// Dialer. It is safe for concurrent use.
type FrameLog struct {
	mu     sync.Mutex
	frames []Frame
	conns  int
}

// Dialer returns a dialer for grpc.WithContextDialer that records frames.
func (l *FrameLog) Dialer() func(ctx context.Context, addr string) (net.Conn, error) {
	return func(ctx context.Context, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		l.mu.Lock()
		l.conns++
		n := l.conns
		l.mu.Unlock()
		start := time.Now()
		return &recordedConn{Conn: c, log: l,
			read:  &parser{log: l, conn: n, start: start, dec: hpack.NewDecoder(4096, nil)},
			write: &parser{log: l, conn: n, start: start, sent: true, skip: len(http2.ClientPreface), dec: hpack.NewDecoder(4096, nil)},
		}, nil
	}
}

// Frames returns the frames recorded so far, in the order they were parsed.
func (l *FrameLog) Frames() []Frame {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Frame(nil), l.frames...)
}

// Find returns the recorded frames of type typ read from the peer.
func (l *FrameLog) Find(typ string) []Frame {
	var out []Frame
	for _, f := range l.Frames() {
		if f.Type == typ && !f.Sent {
			out = append(out, f)
		}
	}
	return out
}

// String lists every frame, one a line.
func (l *FrameLog) String() string {
	var b strings.Builder
	for _, f := range l.Frames() {
		b.WriteString(f.String())
		b.WriteByte('\n')
	}
	return b.String()
}

func (l *FrameLog) add(f Frame) {
	l.mu.Lock()
	l.frames = append(l.frames, f)
	l.mu.Unlock()
}

type recordedConn struct {
	net.Conn
	log         *FrameLog
	read, write *parser
	closeOnce   sync.Once
}

func (c *recordedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.feed(p[:n])
	if err != nil {
		c.closeOnce.Do(func() {
			c.log.add(Frame{At: time.Since(c.read.start), Conn: c.read.conn, Type: "CLOSE", Err: err.Error()})
		})
	}
	return n, err
}

func (c *recordedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.write.feed(p[:n])
	return n, err
}

// parser splits one direction's bytes into frames.
type parser struct {
	mu    sync.Mutex
	log   *FrameLog
	conn  int
	start time.Time
	sent  bool
	skip  int // preface bytes still to drop
	buf   []byte
	dec   *hpack.Decoder
}

func (p *parser) feed(b []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.skip > 0 {
		n := min(p.skip, len(b))
		p.skip -= n
		b = b[n:]
	}
	p.buf = append(p.buf, b...)
	for len(p.buf) >= 9 {
		length := int(p.buf[0])<<16 | int(p.buf[1])<<8 | int(p.buf[2])
		if len(p.buf) < 9+length {
			return
		}
		p.log.add(p.frame(p.buf[3], http2.Flags(p.buf[4]), binary.BigEndian.Uint32(p.buf[5:9])&(1<<31-1), p.buf[9:9+length]))
		p.buf = p.buf[9+length:]
	}
}

func (p *parser) frame(typ uint8, flags http2.Flags, stream uint32, payload []byte) Frame {
	f := Frame{At: time.Since(p.start), Conn: p.conn, Sent: p.sent, Type: http2.FrameType(typ).String(), StreamID: stream, Flags: flags}
	switch http2.FrameType(typ) {
	case http2.FrameGoAway:
		if len(payload) >= 8 {
			f.LastStreamID = binary.BigEndian.Uint32(payload) & (1<<31 - 1)
			f.ErrCode = http2.ErrCode(binary.BigEndian.Uint32(payload[4:]))
			f.Debug = string(payload[8:])
		}
	case http2.FrameRSTStream:
		if len(payload) >= 4 {
			f.ErrCode = http2.ErrCode(binary.BigEndian.Uint32(payload))
		}
	case http2.FrameSettings:
		for i := 0; i+6 <= len(payload); i += 6 {
			id := http2.SettingID(binary.BigEndian.Uint16(payload[i:]))
			f.Settings = append(f.Settings, fmt.Sprintf("%v=%d", id, binary.BigEndian.Uint32(payload[i+2:])))
		}
	case http2.FrameHeaders, http2.FrameContinuation:
		f.Headers = p.headers(flags, payload)
	}
	return f
}

// headers decodes a HEADERS block fragment (padding and priority removed).
// CONTINUATION frames feed the same decoder.
func (p *parser) headers(flags http2.Flags, b []byte) []string {
	if flags.Has(http2.FlagHeadersPadded) && len(b) > 0 {
		pad := int(b[0])
		b = b[1:]
		if pad <= len(b) {
			b = b[:len(b)-pad]
		}
	}
	if flags.Has(http2.FlagHeadersPriority) && len(b) >= 5 {
		b = b[5:]
	}
	fields, err := p.dec.DecodeFull(b)
	var out []string
	for _, hf := range fields {
		out = append(out, hf.Name+": "+hf.Value)
	}
	if err != nil {
		out = append(out, "(hpack: "+err.Error()+")")
	}
	return out
}
