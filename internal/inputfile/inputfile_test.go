//go:build unix

package inputfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func fifo(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A FIFO that nothing writes to: Read returns once its context is done,
// with an error that names the path and says why it waited.
func TestReadFIFOWithoutWriterStops(t *testing.T) {
	t.Parallel()
	path := fifo(t)
	for _, tt := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
	}{
		{"cancelled before", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}},
		{"cancelled while waiting", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 100*time.Millisecond)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := tt.ctx()
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := Read(ctx, path, 1<<20)
				done <- err
			}()
			select {
			case err := <-done:
				var we *WaitError
				if !errors.As(err, &we) || we.Path != path || !errors.Is(err, ctx.Err()) {
					t.Fatalf("err = %v, want a WaitError for %s wrapping %v", err, path, ctx.Err())
				}
				if !strings.Contains(err.Error(), "without a writer") {
					t.Errorf("message %q does not say why it waited", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Read of a FIFO without a writer did not return after its context was done")
			}
		})
	}
}

// A FIFO whose writer comes later is read whole, as before.
func TestReadFIFOWithWriter(t *testing.T) {
	t.Parallel()
	path := fifo(t)
	go func() {
		w, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		w.WriteString("hello")
		w.Close()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := Read(ctx, path, 1<<20)
	if err != nil || string(b) != "hello" {
		t.Fatalf("Read = %q, %v; want hello", b, err)
	}
}

// A writer that opens the FIFO and then writes nothing: the read, not the
// open, waits, and it too ends with the context.
func TestReadFIFOSilentWriterStops(t *testing.T) {
	t.Parallel()
	path := fifo(t)
	opened := make(chan *os.File, 1)
	go func() {
		w, err := os.OpenFile(path, os.O_WRONLY, 0) // returns once Read has opened it
		if err == nil {
			opened <- w
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	f, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := <-opened
	defer w.Close()
	cancel()
	if _, err := ReadAll(ctx, f, 1<<20); !errors.Is(err, context.Canceled) {
		t.Fatalf("ReadAll = %v, want context.Canceled", err)
	}
}

func TestReadRegular(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("12345"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tt := range []struct {
		limit   int64
		want    string
		wantErr error
	}{{5, "12345", nil}, {4, "", ErrTooLarge}} {
		b, err := Read(ctx, path, tt.limit)
		if string(b) != tt.want || !errors.Is(err, tt.wantErr) {
			t.Errorf("Read(limit %d) = %q, %v; want %q, %v", tt.limit, b, err, tt.want, tt.wantErr)
		}
	}
	if _, err := Read(ctx, filepath.Join(t.TempDir(), "missing"), 1); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing file: %v", err)
	}
}
