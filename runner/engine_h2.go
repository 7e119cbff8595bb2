package runner

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/runner/conn"
	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/h2"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// h2Engine is what the pool connections of the lean HTTP/2 engine share:
// the target, its credentials, and the methods' pre-encoded header blocks.
type h2Engine struct {
	t     plan.Target
	creds credentials.TransportCredentials
	// mcfg is the configuration the methods are encoded for (its TLS is
	// set only to make :scheme https: the TLS handshake is the
	// credentials', through the tap, as grpc-go's).
	mcfg h2.Config
	// payloads counts the messages' bytes with --compress (r.payloads);
	// nil without.
	payloads *conn.PayloadCounter

	mu      sync.Mutex
	methods map[methodKey]*h2.Method
}

type methodKey struct {
	path string
	md   unsafe.Pointer // the metadata.MD map encoded into the block; nil for none
}

// dialH2Pool opens the pool's connections with the h2 engine. The first
// dial of each is the run's connection check: its failure is explained as
// conn.Dial explains grpc-go's.
func (r *Runner) dialH2Pool(ctx context.Context, sink *conn.Gate, lastRead []atomic.Int64) ([]poolConn, []redial, error) {
	t := r.opts.Target
	creds, err := conn.Credentials(ctx, t)
	if err != nil {
		return nil, nil, err
	}
	e := &h2Engine{t: t, creds: creds, methods: map[methodKey]*h2.Method{}, payloads: r.payloads}
	e.mcfg = h2.Config{Addr: t.Addr, Authority: t.Authority, UserAgent: h2UserAgent(t.UserAgent), Compression: r.opts.Call.Compress}
	if !t.Plaintext {
		e.mcfg.TLS = &tls.Config{}
	}
	pool := make([]poolConn, r.opts.Load.Connections)
	redials := make([]redial, len(pool))
	for i := range pool {
		transports := new(atomic.Int64) // the pool connection's, however many times it is dialed
		p, err := e.open(ctx, i, sink.Send, &lastRead[i], transports)
		if err != nil {
			for _, c := range pool[:i] {
				c.close()
			}
			if i > 0 {
				err = fmt.Errorf("connection %d of %d: %w", i+1, len(pool), err)
			}
			return nil, nil, err
		}
		pool[i] = p
		redials[i] = func(ctx context.Context) (poolConn, error) {
			p, err := e.open(ctx, i, sink.Send, &lastRead[i], transports)
			if err != nil {
				return nil, err
			}
			return p, nil
		}
	}
	return pool, redials, nil
}

// h2UserAgent is the user-agent the h2 engine sends: --user-agent first,
// as grpc-go prepends it to its own.
func h2UserAgent(ua string) string {
	if ua == "" {
		return "grpcpulse-h2"
	}
	return ua + " grpcpulse-h2"
}

// method returns the header block of path with md (nil: none), shared by
// every worker and connection. Safe for concurrent use.
func (e *h2Engine) method(path string, md map[string][]string) (*h2.Method, error) {
	key := methodKey{path: path, md: mapPointer(md)}
	e.mu.Lock()
	defer e.mu.Unlock()
	if m := e.methods[key]; m != nil {
		return m, nil
	}
	m, err := h2.NewMethod(&e.mcfg, path, appendFields(nil, md))
	if err != nil {
		return nil, err
	}
	e.methods[key] = m
	return m, nil
}

// mapPointer is the identity of a map: the runner's metadata maps are
// made once per run (per mix entry) and never changed.
func mapPointer(m map[string][]string) unsafe.Pointer {
	if m == nil {
		return nil
	}
	return *(*unsafe.Pointer)(unsafe.Pointer(&m))
}

// appendFields appends md as header fields, as grpc-go sends metadata:
// reserved names left out, "-bin" values base64-encoded.
func appendFields(fs []h2.HeaderField, md map[string][]string) []h2.HeaderField {
	for k, vs := range md {
		if reservedHeader(k) {
			continue
		}
		for _, v := range vs {
			if strings.HasSuffix(k, "-bin") {
				v = base64.RawStdEncoding.EncodeToString([]byte(v))
			}
			fs = append(fs, h2.HeaderField{Name: k, Value: v})
		}
	}
	return fs
}

// reservedHeader is a name grpc-go leaves out of the metadata it sends (the
// engine sets them itself); plan.Metadata refuses them, and the ones HTTP/2
// forbids, in flags, so only a library caller's metadata may have them.
func reservedHeader(k string) bool {
	if k == "" || k[0] == ':' {
		return true
	}
	switch k {
	case "content-type", "user-agent", "grpc-message-type", "grpc-encoding", "grpc-message",
		"grpc-status", "grpc-timeout", "te", "connection", "host":
		return true
	}
	return false
}

// h2Caller makes one worker's calls on an h2 pool connection.
type h2Caller struct {
	p      *h2Pooled
	cache  []cachedMethod // the worker's methods: no lock per call
	extra  []h2.HeaderField
	remote net.Addr
	live   *h2Live  // the connection of the call startUnary started last
	s      h2Stream // the worker's stream (one at a time)
}

type cachedMethod struct {
	key methodKey
	m   *h2.Method
}

// prepare returns the block and per-call fields of a call of m.
func (c *h2Caller) prepare(m callMethod) (*h2.Method, []h2.HeaderField, error) {
	md := m.md
	c.extra = c.extra[:0]
	if m.tmd != nil {
		md = nil
		c.extra = appendFields(c.extra, m.tmd)
	}
	key := methodKey{path: m.path, md: mapPointer(md)}
	for i := range c.cache {
		if c.cache[i].key == key {
			return c.cache[i].m, c.extra, nil
		}
	}
	hm, err := c.p.eng.method(m.path, md)
	if err != nil {
		return nil, nil, err
	}
	c.cache = append(c.cache, cachedMethod{key, hm})
	return hm, c.extra, nil
}

// maxTransparent bounds the attempts of a call the server never processed
// (a GOAWAY's, a refused stream's): grpc-go retries such calls
// transparently on a new connection, and so does the engine.
const maxTransparent = 3

func (c *h2Caller) unary(ctx context.Context, m callMethod, req *data.Frame) error {
	return c.unaryFrom(ctx, m, req, 1)
}

// unaryFrom makes a unary call's attempts from the attempt-th on.
func (c *h2Caller) unaryFrom(ctx context.Context, m callMethod, req *data.Frame, attempt int) error {
	hm, extra, err := c.prepare(m)
	if err != nil {
		return err
	}
	wire, counted := req.Wire(), false
	if c.p.eng.payloads != nil { // --compress
		if wire, err = c.p.eng.wire(req); err != nil {
			return err
		}
		counted = c.p.eng.counts()
	}
	for ; ; attempt++ {
		live, err := c.p.conn(ctx)
		if err != nil {
			return err
		}
		c.remote = live.remote
		if counted {
			err = c.p.eng.invokeCounted(ctx, live.c, hm, req, wire, extra)
		} else {
			err = live.c.Invoke(ctx, hm, wire, extra)
		}
		if err == nil || !errors.Is(err, h2.ErrNotProcessed) || attempt == maxTransparent || ctx.Err() != nil {
			return err
		}
		c.p.lost(live)
	}
}

func (c *h2Caller) stream(ctx context.Context, desc *grpc.StreamDesc, m callMethod) (clientStream, error) {
	hm, extra, err := c.prepare(m)
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		live, err := c.p.conn(ctx)
		if err != nil {
			return nil, err
		}
		c.remote = live.remote
		st, err := live.c.NewStream(ctx, hm, extra)
		if err == nil {
			c.s = h2Stream{st: st, p: c.p, live: live, counted: c.p.eng.counts()}
			return &c.s, nil
		}
		if !errors.Is(err, h2.ErrNotProcessed) || attempt == maxTransparent || ctx.Err() != nil {
			return nil, err
		}
		c.p.lost(live)
	}
}

func (c *h2Caller) peer() net.Addr { return c.remote }

func (c *h2Caller) use(pc poolConn) { c.p = pc.(*h2Pooled) }

// h2Stream is a streaming call of the h2 engine; counted: its messages'
// bytes are counted (--compress, after warm-up).
type h2Stream struct {
	st      *h2.Stream
	p       *h2Pooled
	live    *h2Live
	counted bool
}

func (s *h2Stream) SendMsg(m any) error {
	f, ok := m.(*data.Frame)
	if !ok {
		return fmt.Errorf("h2 engine: cannot send %T", m)
	}
	wire, err := s.p.eng.wire(f)
	if err != nil {
		return err
	}
	err = s.st.Send(wire)
	if err != nil && err != io.EOF {
		return statusOnly(err)
	}
	if s.counted && err == nil {
		s.p.eng.payloads.AddSent(len(f.Wire())-5, len(wire)-5)
	}
	return err
}

func (s *h2Stream) CloseSend() error { return s.st.CloseSend() }

func (s *h2Stream) RecvMsg(any) error {
	msg, err := s.st.Recv()
	if err == nil && s.counted {
		s.p.eng.payloads.AddReceived(len(msg), s.st.WireSize())
	}
	if err == nil || err == io.EOF {
		return err
	}
	if errors.Is(err, h2.ErrNotProcessed) {
		s.p.lost(s.live)
	}
	return statusOnly(err)
}

// statusOnly is err as its gRPC status alone: a *h2.StatusError unwraps to
// its cause, which may be io.EOF (a connection the server closed), and
// callers take io.EOF for the clean end of a stream.
func statusOnly(err error) error {
	var se *h2.StatusError
	if errors.As(err, &se) {
		return status.Error(se.Code, se.Message)
	}
	return err
}

func (s *h2Stream) release() {
	if s.st != nil {
		s.st.Close()
		s.st = nil
	}
}
