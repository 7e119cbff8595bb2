// Package faultproxy is a TCP proxy on 127.0.0.1 that can break the
// connections it carries the way networks do: swallow every byte while
// keeping the sockets open (a blackhole, which only HTTP/2 keepalive can
// detect, since the kernel still acknowledges), reset them (RST), or close
// them (FIN). Tests use it to provoke what grpcpulse diagnoses.
package faultproxy

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// Mode is what the proxy does with the bytes it carries.
type Mode int32

const (
	// Pass forwards bytes both ways.
	Pass Mode = iota
	// Blackhole reads and drops bytes both ways; sockets stay open.
	Blackhole
)

// Proxy forwards connections from Addr to an upstream address.
type Proxy struct {
	listener net.Listener
	upstream atomic.Pointer[string]
	mode     atomic.Int32
	accepted atomic.Int64
	crashing atomic.Bool
	mu       sync.Mutex
	links    map[*link]struct{}
	wg       sync.WaitGroup
}

// link is one proxied connection: the client's side and the upstream side.
type link struct{ client, server net.Conn }

// New starts a proxy on 127.0.0.1:0 to upstream.
func New(upstream string) (*Proxy, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{listener: lis, links: map[*link]struct{}{}}
	p.upstream.Store(&upstream)
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// TB is the part of testing.TB that Start needs.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// Start is New for tests: it fails the test on error and closes the proxy
// when the test ends.
func Start(t TB, upstream string) *Proxy {
	t.Helper()
	p, err := New(upstream)
	if err != nil {
		t.Fatalf("start fault proxy: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

// Addr is where clients connect.
func (p *Proxy) Addr() string { return p.listener.Addr().String() }

// Accepted counts the connections the proxy has accepted.
func (p *Proxy) Accepted() int64 { return p.accepted.Load() }

// SetUpstream sends new connections to addr (current ones stay where they
// are: Reset or Drop them to move everyone), as when a service's address
// starts answering with another server.
func (p *Proxy) SetUpstream(addr string) { p.upstream.Store(&addr) }

// SetMode changes what happens to the bytes of every connection, existing
// and new.
func (p *Proxy) SetMode(m Mode) { p.mode.Store(int32(m)) }

// Reset ends every current connection with a TCP RST on both sides.
func (p *Proxy) Reset() { p.each(func(c net.Conn) { setLinger0(c); c.Close() }) }

// Drop ends every current connection with a FIN on both sides.
func (p *Proxy) Drop() { p.each(func(c net.Conn) { c.Close() }) }

// Crash acts out the server process dying under its clients: every
// connection is reset; the next one accepted (a client that reconnected at
// once, held by the dying process's listen backlog) is reset before a
// byte; then nothing listens, and later attempts are refused.
func (p *Proxy) Crash() {
	p.crashing.Store(true)
	p.Reset()
}

// Close stops the proxy and ends every connection.
func (p *Proxy) Close() {
	p.listener.Close()
	p.Drop()
	p.wg.Wait()
}

func (p *Proxy) each(f func(net.Conn)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for l := range p.links {
		f(l.client)
		f(l.server)
	}
}

func setLinger0(c net.Conn) {
	if tcp, ok := c.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.listener.Accept()
		if err != nil {
			return
		}
		p.accepted.Add(1)
		if p.crashing.Load() {
			setLinger0(client)
			client.Close()
			p.listener.Close()
			return
		}
		server, err := net.Dial("tcp", *p.upstream.Load())
		if err != nil {
			setLinger0(client)
			client.Close()
			continue
		}
		l := &link{client: client, server: server}
		p.mu.Lock()
		p.links[l] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pump(l, client, server)
		go p.pump(l, server, client)
	}
}

// pump copies src to dst, or drops what it reads while the proxy is a
// blackhole. When either side ends, both are closed.
func (p *Proxy) pump(l *link, dst, src net.Conn) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && Mode(p.mode.Load()) == Pass {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				err = werr
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				setLinger0(dst) // pass a reset on as a reset
			}
			dst.Close()
			src.Close()
			p.mu.Lock()
			delete(p.links, l)
			p.mu.Unlock()
			return
		}
	}
}
