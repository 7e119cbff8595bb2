package h2

import (
	"bytes"
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// serverBytes builds a seed: frames a server might send after its
// SETTINGS.
func serverBytes(write func(fr *http2.Framer, block func(...HeaderField) []byte)) []byte {
	var out, hb bytes.Buffer
	fr := http2.NewFramer(&out, nil)
	enc := hpack.NewEncoder(&hb)
	write(fr, func(fields ...HeaderField) []byte {
		hb.Reset()
		for _, f := range fields {
			enc.WriteField(f)
		}
		return append([]byte(nil), hb.Bytes()...)
	})
	return out.Bytes()
}

// FuzzServerFrames feeds arbitrary bytes, as the server's side of a
// connection, to the reader while unary and streaming calls are open on
// streams 1, 3, 5 and 7. Whatever the bytes, nothing may panic and every
// call must end once the bytes run out.
func FuzzServerFrames(f *testing.F) {
	f.Add(serverBytes(func(fr *http2.Framer, block func(...HeaderField) []byte) {
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndHeaders: true, BlockFragment: block(okHeaders...)})
		fr.WriteData(1, false, msg(0, 3, "abc"))
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndHeaders: true, EndStream: true, BlockFragment: block(okTrailers...)})
		fr.WriteWindowUpdate(0, 1000)
		fr.WriteWindowUpdate(3, 1000)
		fr.WriteRSTStream(5, http2.ErrCodeCancel)
		fr.WritePing(false, [8]byte{1})
		fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 10}, http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 1})
		fr.WriteGoAway(3, http2.ErrCodeNo, []byte("max_age"))
	}))
	f.Add(serverBytes(func(fr *http2.Framer, block func(...HeaderField) []byte) {
		b := block(append(okHeaders, HeaderField{Name: "x-long", Value: string(make([]byte, 100))})...)
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 7, BlockFragment: b[:10]})
		fr.WriteContinuation(7, false, b[10:50])
		fr.WriteContinuation(7, true, b[50:])
		fr.WriteData(7, false, append(msg(0, 2, "hi"), msg(0, 10, "partial")...))
		fr.WriteData(7, true, []byte("end"))
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, EndHeaders: true, EndStream: true, BlockFragment: block(hf(":status", "503")...)})
	}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		cs, ss := net.Pipe()
		defer ss.Close()
		go io.Copy(io.Discard, ss)
		ready := make(chan struct{})
		go func() {
			settings := serverBytes(func(fr *http2.Framer, _ func(...HeaderField) []byte) { fr.WriteSettings() })
			ss.Write(settings)
			<-ready
			ss.Write(data)
			ss.Close()
		}()
		cfg := Config{Addr: "fuzz", MaxHeaderListSize: 4096, InitialWindowSize: 1000}
		cfg.defaults()
		c := newConn(cs, cfg)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.handshake(ctx); err != nil {
			t.Fatal(err)
		}
		go c.readLoop()
		go c.writeLoop()
		m, err := c.Method("/fuzz/Unary", nil)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := range 4 {
			s := c.getStream()
			s.unary = i%2 == 0
			s.ctx = ctx
			size, _ := s.encodeHeaders(ctx, m, nil)
			if err := openStream(c, s, size, msg(0, 0, ""), s.unary); err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if s.unary {
					c.mu.Lock()
					for !s.done {
						s.recvWaiting = true
						c.mu.Unlock()
						select {
						case <-s.recvWake:
						case <-ctx.Done():
						}
						c.mu.Lock()
						if ctx.Err() != nil {
							c.cancelLocked(s, ctx.Err())
						}
					}
					c.mu.Unlock()
					return
				}
				st := (*Stream)(s)
				for {
					if _, err := st.Recv(); err != nil {
						break
					}
				}
				st.Close()
			}()
		}
		close(ready)
		wg.Wait()
		if ctx.Err() != nil {
			t.Fatal("calls did not end after the server's bytes ran out")
		}
		c.Close()
	})
}
