package h2

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
)

// TestSendFlowControl: a server with a 1,000-byte stream window, a
// connection window it tops up by small WINDOW_UPDATEs, and a SETTINGS
// change mid-stream that makes the stream window negative. The client must
// never send past a window and still deliver every byte.
func TestSendFlowControl(t *testing.T) {
	const size = 200 << 10
	result := make(chan error, 1)
	addr := startPeer(t, []http2.Setting{{ID: http2.SettingInitialWindowSize, Val: 1000}, {ID: http2.SettingMaxFrameSize, Val: 16384}}, func(p *peer) {
		id := p.readRequest()
		connWin, streamWin := int64(65535), int64(1000)
		var got bytes.Buffer
		changed := false
		for {
			f, err := p.fr.ReadFrame()
			if err != nil {
				result <- err
				return
			}
			d, ok := f.(*http2.DataFrame)
			if !ok {
				continue
			}
			n := int64(len(d.Data()))
			connWin -= n
			streamWin -= n
			if connWin < 0 || streamWin < 0 {
				result <- errors.New("client sent past a window")
				return
			}
			got.Write(d.Data())
			if d.StreamEnded() {
				break
			}
			if !changed && got.Len() > 50<<10 {
				// Shrink the stream window below what is in flight.
				changed = true
				p.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 10})
				streamWin -= 990
				p.flush()
				// Then give it back, and more.
				p.fr.WriteWindowUpdate(id, 3000)
				streamWin += 3000
			}
			if streamWin < 500 {
				p.fr.WriteWindowUpdate(id, 700)
				streamWin += 700
			}
			if connWin < 8000 {
				p.fr.WriteWindowUpdate(0, 9000)
				connWin += 9000
			}
			p.flush()
		}
		b := got.Bytes()
		if len(b) != 5+size || binary.BigEndian.Uint32(b[1:]) != size {
			result <- errors.New("request bytes lost")
			return
		}
		p.respond(id, []byte{0, 0, 0, 0, 0})
		result <- nil
		p.drain()
	})
	c := dial(t, Config{Addr: addr})
	m := method(t, c, pulsepb.Pulse_Unary_FullMethodName)
	req := make([]byte, 5+size)
	binary.BigEndian.PutUint32(req[1:], size)
	resp, err := c.Unary(testCtx(t), m, req, nil)
	resp.Release()
	if err != nil {
		t.Fatal(err)
	}
	if err := <-result; err != nil {
		t.Fatal(err)
	}
}

// TestLargeHeaders: a 40 KB metadata value goes out as HEADERS and
// CONTINUATION frames and comes back the same way (echoed by the server).
func TestLargeHeaders(t *testing.T) {
	srv := startServer(t)
	c := dial(t, Config{Addr: srv.Addr()})
	m := method(t, c, pulsepb.Pulse_Unary_FullMethodName, md(testserver.MDEchoHeaders, "true")...)
	big := strings.Repeat("v", 40<<10)
	resp, err := c.Unary(testCtx(t), m, frame(t, &pulsepb.Request{}), md("x-big", big))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Release()
	for _, f := range resp.Header {
		if f.Name == "x-big" && f.Value == big {
			return
		}
	}
	t.Fatal("x-big not echoed")
}

// TestStreamWindowBoundsBuffering: a client that does not Recv stops the
// server at one stream window of complete messages.
func TestStreamWindowBoundsBuffering(t *testing.T) {
	srv := startServer(t)
	const window = 64 << 10
	c := dial(t, Config{Addr: srv.Addr(), InitialWindowSize: window})
	m := method(t, c, pulsepb.Pulse_ServerStream_FullMethodName)
	st, err := c.NewStream(testCtx(t), m, md(testserver.MDMessages, "1000", testserver.MDSize, "1000"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.Send(frame(t, &pulsepb.Request{}))
	st.CloseSend()
	// Without Recv the server fills the window and stops: the buffer
	// reaches about one window and never two.
	s := (*stream)(st)
	buffered := func() int {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(s.rbuf) - s.rd
	}
	ctx := testCtx(t)
	for ctx.Err() == nil && buffered() < window/2 {
		time.Sleep(time.Millisecond)
	}
	for range 50 {
		if b := buffered(); b > 2*window {
			t.Fatalf("%d bytes buffered with a %d-byte window", b, window)
		}
		time.Sleep(time.Millisecond)
	}
	total := 0
	for {
		_, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		total++
	}
	if total != 1000 {
		t.Fatalf("got %d messages", total)
	}
}
