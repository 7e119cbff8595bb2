package cli

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

func TestReadDataLimit(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	_, err := ReadData(context.Background(), "@/dev/zero", nil)
	if err == nil || !strings.Contains(err.Error(), "more than 64 MiB") || !strings.Contains(err.Error(), "/dev/zero") {
		t.Fatalf("err = %v, want the limit named with the file", err)
	}
	b, err := ReadData(context.Background(), "@-", strings.NewReader(`{"a":1}`))
	if err != nil || string(b) != `{"a":1}` {
		t.Errorf("stdin: %q, %v", b, err)
	}
}

// Ctrl-C while standard input is still open (a terminal nobody types into)
// ends the read at once.
func TestReadDataCancelled(t *testing.T) {
	t.Parallel()
	r, w := io.Pipe()
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := ReadData(ctx, "@-", r)
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("reading standard input ignored the cancellation")
	}
}
