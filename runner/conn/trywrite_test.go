package conn

import (
	"bytes"
	"context"
	"io"
	"net"
	"testing"

	"google.golang.org/grpc/credentials/insecure"

	"github.com/grpcpulse/grpcpulse/runner/event"
)

// shortWriter is a socket whose TryWrite takes at most 5 bytes at a time,
// as a full socket takes part of a write.
type shortWriter struct{ net.Conn }

func (s shortWriter) TryWrite(p []byte) (int, error) { return s.Conn.Write(p[:min(len(p), 5)]) }

// TestTapPassesTryWrite: the tap of a socket that writes without waiting
// passes TryWrite on (the h2 engine's reader writes its replies with it),
// the tap of any other does not have it, and a frame cut between TryWrite
// and Write is seen once.
func TestTapPassesTryWrite(t *testing.T) {
	t.Parallel()
	client, server := net.Pipe()
	defer server.Close()
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(server)
		got <- b
	}()
	ev := newEvents()
	creds := Tap(insecure.NewCredentials(), 0, ev.add, nil)
	if nc, _, err := creds.ClientHandshake(context.Background(), "x", client); err != nil {
		t.Fatal(err)
	} else if _, ok := nc.(tryWriter); ok {
		t.Fatalf("the tap of a %T has TryWrite", client)
	}
	nc, _, err := creds.ClientHandshake(context.Background(), "x", shortWriter{client})
	if err != nil {
		t.Fatal(err)
	}
	tw, ok := nc.(tryWriter)
	if !ok {
		t.Fatalf("the tap of a socket with TryWrite is a %T, without it", nc)
	}
	ping := h2Frame(framePing, 0, keepalivePing[:])
	var sent []byte
	write := func(p []byte, try bool) {
		n := len(p)
		if try {
			n, err = tw.TryWrite(p)
		} else {
			_, err = nc.Write(p)
		}
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, p[:n]...)
	}
	write([]byte(http2ClientPreface), false)
	write(ping, true)
	write(ping[5:], false)
	write(ping, false)
	nc.Close()
	if b := <-got; !bytes.Equal(b, sent) {
		t.Errorf("the server read %q, want %q", b, sent)
	}
	pings := 0
	ev.mu.Lock()
	for _, e := range ev.list {
		if e.Kind == event.EventPing {
			pings++
		}
	}
	ev.mu.Unlock()
	if pings != 2 {
		t.Errorf("%d pings seen, want 2: %+v", pings, ev.list)
	}
}
