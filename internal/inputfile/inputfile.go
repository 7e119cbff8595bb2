// Package inputfile opens and reads the files grpcpulse's flags and
// arguments name (-f, -d @file, --proto, --protoset, --service-config @file,
// --cacert, report files) so that one that blocks never holds the process
// past a cancelled context: open(2) of a FIFO waits for a writer, and a read
// of a FIFO or a terminal waits for data. Every reader of such a path goes
// through Read (or Open and ReadAll), so the first Ctrl-C or SIGTERM stops
// grpcpulse however its inputs behave.
package inputfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrTooLarge is returned by ReadAll and Read for input over their limit;
// callers say what the limit is for.
var ErrTooLarge = errors.New("larger than the limit")

// WaitError is returned when ctx was done while open(2) of Path was still
// waiting: a FIFO that no process has opened for writing.
type WaitError struct {
	Path string
	Err  error // the context's cause
}

func (e *WaitError) Error() string {
	return fmt.Sprintf("%s: stopped while waiting to open it: nothing has opened it for writing (a FIFO without a writer)", e.Path)
}

func (e *WaitError) Unwrap() error { return e.Err }

// Open opens path for reading. A regular file or a directory (and a path
// that cannot be examined) is opened at once, as os.Open does. Anything else
// (a FIFO, a device) is opened on another goroutine, and when ctx is done
// first Open returns a *WaitError at once; the waiting open is then released
// where the system allows it (a FIFO is opened for writing and closed) and
// whatever it opens is closed.
func Open(ctx context.Context, path string) (*os.File, error) {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().IsRegular() || fi.IsDir() {
		return os.Open(path)
	}
	type opened struct {
		f   *os.File
		err error
	}
	done := make(chan opened, 1)
	go func() {
		f, err := os.Open(path)
		done <- opened{f, err}
	}()
	select {
	case o := <-done:
		return o.f, o.err
	case <-ctx.Done():
	}
	release := func() {}
	if fi.Mode()&os.ModeNamedPipe != 0 {
		release = releaseFIFO(path)
	}
	go func() {
		if o := <-done; o.f != nil {
			o.f.Close()
		}
		release()
	}()
	return nil, &WaitError{Path: path, Err: context.Cause(ctx)}
}

// ReadAll reads r to its end, returning ErrTooLarge once it has more than
// limit bytes. It returns ctx's cause as soon as ctx is done, even while a
// read is blocked; the reading goroutine then ends with its next read (or
// when the caller closes r's file, which ends a blocked read of a FIFO).
func ReadAll(ctx context.Context, r io.Reader, limit int64) ([]byte, error) {
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := readChunks(r, limit)
		done <- result{b, err}
	}()
	select {
	case res := <-done:
		return res.b, res.err
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// Read opens path (see Open) and reads it whole (see ReadAll). Errors are
// os.Open's (with the path), a *WaitError, ErrTooLarge, or ctx's cause.
func Read(ctx context.Context, path string, limit int64) ([]byte, error) {
	f, err := Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadAll(ctx, f, limit)
}

// readChunks reads r whole into chunks of growing size (not one buffer
// grown by doubling, whose copies are most of the cost of a large input),
// failing with ErrTooLarge once it holds more than limit bytes.
func readChunks(r io.Reader, limit int64) ([]byte, error) {
	var chunks [][]byte
	var total int64
	for size := int64(64 << 10); ; size = min(2*size, 4<<20) {
		buf := make([]byte, min(size, limit+1-total))
		n, err := io.ReadFull(r, buf)
		chunks = append(chunks, buf[:n])
		total += int64(n)
		if total > limit {
			return nil, ErrTooLarge
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return bytes.Join(chunks, nil), nil
}
