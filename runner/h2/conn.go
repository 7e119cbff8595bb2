package h2

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc/codes"
)

// Conn is one HTTP/2 connection carrying gRPC calls. Its methods are safe
// for concurrent use. One reader and one writer goroutine serve all calls.
type Conn struct {
	cfg Config
	nc  net.Conn
	fr  *http2.Framer
	bw  *bufio.Writer
	br  *bufio.Reader // the reader goroutine's
	// htab and hout are the write side's (Conn.owned): the dynamic table
	// of the request header blocks and the block being written.
	htab encTable
	hout []byte

	// mu guards everything below it, the state of every stream of the
	// connection included.
	mu    sync.Mutex
	queue []writeOp // frames for the writer, in order
	// woken counts the callers the reader woke with a response that have
	// not yet taken the lock again: most will queue their next request at
	// once, so the writer is signalled when the last of them is back (or
	// when there are none), and their requests share one write.
	woken int
	// held: the writer waits, with frames buffered, for the woken
	// callers' requests; the last of them signals it.
	held bool
	// owned: a goroutine writes to the framer and its buffer now, the
	// writer or the reader (writeInlineLocked); the other keeps off.
	owned      bool
	streams    map[uint32]*stream
	free       []*stream // released streams for reuse
	nextID     uint32
	active     int // streams counting against the peer's MAX_CONCURRENT_STREAMS
	waiters    []*stream
	maxStreams uint32
	// sendWindow is the connection's send window; streams have their own.
	sendWindow int64
	peerWindow int64 // the peer's SETTINGS_INITIAL_WINDOW_SIZE
	peerFrame  uint32
	peerList   uint32 // the peer's SETTINGS_MAX_HEADER_LIST_SIZE; 0: unlimited
	peerTable  uint32 // the least SETTINGS_HEADER_TABLE_SIZE of the peer
	blocked    []*stream
	goAway     bool
	goAwayID   uint32
	goAwayText string // "code: NO_ERROR, debug data: \"max_age\"" for error messages
	err        error  // why the connection failed; nil while it works
	goAwayOut  http2.ErrCode
	sendGoAway bool
	pingSent   time.Time // an unanswered keepalive ping was sent then
	// settingsEvents counts settings events, which stop at
	// maxSettingsEvents so that a SETTINGS flood cannot flood the recorder.
	settingsEvents int
	// completed are the calls Start made that ended, whose Completions
	// are still to run (Conn.complete).
	completed []*stream
	toWriter  int // of them, those the writer is to run
	// watches are the contexts of waiting unary calls, by Done channel.
	watches map[<-chan struct{}]*ctxWatch

	wake     chan struct{} // the writer has work
	done     chan struct{} // the writer closed the socket
	lastRead atomic.Int64  // unix nanos of the last frame read

	r reader // the reader goroutine's own state
}

// Dial connects to cfg.Addr and returns once the server's SETTINGS arrived.
func Dial(ctx context.Context, cfg Config) (*Conn, error) {
	cfg.defaults()
	if cfg.Addr == "" {
		return nil, errors.New("h2: no address")
	}
	if err := checkCompression(cfg.Compression); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	var nc net.Conn
	var err error
	if cfg.Dialer != nil {
		nc, err = cfg.Dialer(ctx, cfg.Addr)
	} else {
		var d net.Dialer
		nc, err = d.DialContext(ctx, "tcp", cfg.Addr)
	}
	if err != nil {
		return nil, fmt.Errorf("h2: dial %s: %w", cfg.Addr, err)
	}
	nc = RawConn(nc)
	if cfg.TLS != nil {
		if nc, err = handshakeTLS(ctx, nc, &cfg); err != nil {
			return nil, err
		}
	}
	c := newConn(nc, cfg)
	c.event(Event{Kind: EventOpen, Local: nc.LocalAddr().String(), Remote: nc.RemoteAddr().String()})
	if err := c.handshake(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	go c.readLoop()
	go c.writeLoop()
	return c, nil
}

func handshakeTLS(ctx context.Context, nc net.Conn, cfg *Config) (net.Conn, error) {
	tc := cfg.TLS.Clone()
	tc.NextProtos = []string{"h2"}
	if tc.ServerName == "" {
		host, _, err := net.SplitHostPort(cfg.Authority)
		if err != nil {
			host = cfg.Authority
		}
		tc.ServerName = host
	}
	conn := tls.Client(nc, tc)
	if err := conn.HandshakeContext(ctx); err != nil {
		nc.Close()
		if strings.Contains(err.Error(), "no application protocol") {
			return nil, fmt.Errorf("h2: %s did not negotiate ALPN \"h2\": it does not serve HTTP/2 over TLS: %w", cfg.Addr, err)
		}
		return nil, fmt.Errorf("h2: TLS handshake with %s: %w", cfg.Addr, err)
	}
	if p := conn.ConnectionState().NegotiatedProtocol; p != "h2" {
		conn.Close()
		return nil, fmt.Errorf("h2: %s did not negotiate ALPN \"h2\" (got %q): it does not serve HTTP/2 over TLS", cfg.Addr, p)
	}
	return conn, nil
}

func newConn(nc net.Conn, cfg Config) *Conn {
	bw := bufio.NewWriterSize(nc, 32<<10)
	br := bufio.NewReaderSize(nc, 32<<10)
	c := &Conn{
		cfg: cfg, nc: nc, bw: bw, br: br,
		fr:         http2.NewFramer(bw, br),
		streams:    make(map[uint32]*stream),
		nextID:     1,
		maxStreams: ^uint32(0),
		sendWindow: initialWindow,
		peerWindow: initialWindow,
		peerFrame:  16384,
		peerTable:  maxTableSize,
		wake:       make(chan struct{}, 1),
		done:       make(chan struct{}),
	}
	c.fr.SetReuseFrames()
	c.fr.SetMaxReadFrameSize(maxFrameSize)
	c.r.init(c)
	c.htab.init()
	c.r.reply.tw, _ = nc.(tryWriter)
	return c
}

// handshake writes the preface and our SETTINGS, then reads the server's
// SETTINGS, the first frame it must send.
func (c *Conn) handshake(ctx context.Context) error {
	deadline, _ := ctx.Deadline()
	c.nc.SetDeadline(deadline)
	defer c.nc.SetDeadline(time.Time{})
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := io.WriteString(c.bw, http2.ClientPreface); err != nil {
		return c.dialErr(ctx, err)
	}
	settings := []http2.Setting{
		{ID: http2.SettingEnablePush, Val: 0},
		{ID: http2.SettingInitialWindowSize, Val: c.cfg.InitialWindowSize},
		{ID: http2.SettingMaxHeaderListSize, Val: c.cfg.MaxHeaderListSize},
	}
	if err := c.fr.WriteSettings(settings...); err != nil {
		return c.dialErr(ctx, err)
	}
	if inc := c.cfg.ConnWindowSize - initialWindow; inc > 0 {
		if err := c.fr.WriteWindowUpdate(0, inc); err != nil {
			return c.dialErr(ctx, err)
		}
	}
	if err := c.bw.Flush(); err != nil {
		return c.dialErr(ctx, err)
	}
	f, err := c.fr.ReadFrame()
	if err != nil {
		return c.dialErr(ctx, err)
	}
	sf, ok := f.(*http2.SettingsFrame)
	if !ok || sf.IsAck() {
		return fmt.Errorf("h2: %s sent %v before its SETTINGS: not an HTTP/2 server", c.cfg.Addr, f.Header().Type)
	}
	c.mu.Lock()
	err = c.applySettingsLocked(sf)
	c.mu.Unlock()
	if err != nil {
		return fmt.Errorf("h2: %s: %w", c.cfg.Addr, err)
	}
	c.lastRead.Store(time.Now().UnixNano())
	return nil
}

func (c *Conn) dialErr(ctx context.Context, err error) error {
	if ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("h2: %s: no HTTP/2 SETTINGS within the connect timeout (%v): %w", c.cfg.Addr, c.cfg.ConnectTimeout, err)
	}
	if errors.Is(err, http2.ErrFrameTooLarge) || bytes.Contains([]byte(err.Error()), []byte("HTTP/1.1")) {
		return fmt.Errorf("h2: %s answered HTTP/1.x, not HTTP/2 (a TLS port needs TLS; an HTTP/1 server cannot serve gRPC): %w", c.cfg.Addr, err)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("h2: %s closed the connection during the HTTP/2 handshake (does it need TLS?): %w", c.cfg.Addr, err)
	}
	return fmt.Errorf("h2: handshake with %s: %w", c.cfg.Addr, err)
}

// applySettingsLocked applies the server's SETTINGS and queues the ACK.
func (c *Conn) applySettingsLocked(f *http2.SettingsFrame) error {
	if err := f.ForeachSetting(func(s http2.Setting) error {
		if err := s.Valid(); err != nil {
			return err
		}
		switch s.ID {
		case http2.SettingInitialWindowSize:
			delta := int64(s.Val) - c.peerWindow
			c.peerWindow = int64(s.Val)
			for _, st := range c.streams {
				st.sendWindow += delta
				if st.sendWindow > maxWindow {
					return http2.ConnectionError(http2.ErrCodeFlowControl)
				}
			}
			if delta > 0 {
				c.unblockLocked()
			}
		case http2.SettingMaxFrameSize:
			c.peerFrame = s.Val
		case http2.SettingMaxConcurrentStreams:
			c.maxStreams = s.Val
			c.grantLocked()
		case http2.SettingMaxHeaderListSize:
			c.peerList = s.Val
		case http2.SettingHeaderTableSize:
			// Only ever lowered: the writer announces the table's size at
			// its next block, and a size the table had in between must be
			// announced (RFC 7541, section 4.2), and a raised one could
			// not be used before the server has our ACK. A server that
			// raises its table back gets no more indexing than its lowest.
			c.peerTable = min(c.peerTable, s.Val)
		}
		return nil
	}); err != nil {
		return err
	}
	if err := c.queueReplyLocked(writeOp{kind: opSettingsAck}); err != nil {
		return err
	}
	if c.cfg.Events != nil && c.settingsEvents < maxSettingsEvents && (c.settingsEvents == 0 || f.NumSettings() > 0) {
		c.settingsEvents++
		var settings []http2.Setting
		f.ForeachSetting(func(s http2.Setting) error { settings = append(settings, s); return nil })
		c.eventLocked(Event{Kind: EventSettings, Settings: settings})
	}
	return nil
}

const maxSettingsEvents = 16

// event sends e to Config.Events, stamped with the time.
func (c *Conn) event(e Event) {
	if c.cfg.Events != nil {
		e.Time = time.Now()
		c.cfg.Events(e)
	}
}

// eventLocked is event while holding mu (the callback must not call back
// into the connection).
func (c *Conn) eventLocked(e Event) { c.event(e) }

// Err returns why the connection failed, or nil while it works.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Done is closed once the connection is closed (by Close, an error, or the
// end of a GOAWAY drain).
func (c *Conn) Done() <-chan struct{} { return c.done }

// Draining reports whether the server sent GOAWAY: new calls fail with
// ErrNotProcessed and belong on a new connection.
func (c *Conn) Draining() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.goAway || c.err != nil
}

// Close closes the connection: calls still open fail with UNAVAILABLE
// (cause ErrClosed). It waits for the writer to close the socket.
func (c *Conn) Close() error {
	c.fail(ErrClosed, http2.ErrCodeNo, true)
	<-c.done
	return nil
}

// fail closes the connection for err: every open call fails, GOAWAY(code)
// is sent when goAway is set, and the writer closes the socket. The first
// failure wins.
func (c *Conn) fail(err error, code http2.ErrCode, goAway bool) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	c.goAwayOut, c.sendGoAway = code, goAway
	msg := c.closeMessageLocked(err)
	for _, s := range c.streams {
		cause := err
		if !s.headersOut {
			cause = notProcessed(err) // its HEADERS never went out
		}
		c.endLocked(s, codes.Unavailable, msg, cause, false, 0)
	}
	for _, s := range c.waiters {
		s.waiting = false
		c.endLocked(s, codes.Unavailable, msg, notProcessed(err), false, 0)
	}
	c.waiters = c.waiters[:0]
	c.stopWatchesLocked()
	c.mu.Unlock()
	// Bound the writer's last flush: a peer that reads nothing must not
	// keep it.
	c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	c.signal()
}

// closeMessageLocked is the status message of calls failed by a
// connection close, worded like grpc-go's: the cause alone ("error
// reading from server: EOF", "keepalive ping failed to receive ACK within
// timeout"), or, after a GOAWAY, "closing transport due to: connection
// error: desc = ..., received prior goaway: ...".
func (c *Conn) closeMessageLocked(err error) string {
	if errors.Is(err, ErrClosed) {
		msg := "the client closed the connection"
		if c.goAwayText != "" {
			msg += ", received prior goaway: " + c.goAwayText
		}
		return msg
	}
	if c.goAwayText != "" {
		return fmt.Sprintf("closing transport due to: connection error: desc = %q, received prior goaway: %s", err.Error(), c.goAwayText)
	}
	return err.Error()
}

// readErr is a failure of the socket's read side.
type readErr struct{ err error }

func (e readErr) Error() string { return "error reading from server: " + e.err.Error() }
func (e readErr) Unwrap() error { return e.err }

// ensure the decoder type is used (it lives in the reader).
var _ = hpack.NewDecoder
