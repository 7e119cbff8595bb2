package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
)

// maxDataBytes bounds -d: request data is parsed whole, so a file like
// /dev/zero would otherwise grow without end.
const maxDataBytes = 64 << 20

// ReadData resolves -d: @- reads standard input, @file a file, anything else
// is the data itself. Reading stops at maxDataBytes, and when ctx is
// cancelled (Ctrl-C while a terminal's standard input is still open).
func ReadData(ctx context.Context, spec string, stdin io.Reader) ([]byte, error) {
	switch {
	case spec == "@-":
		b, err := readLimited(ctx, stdin, maxDataBytes)
		if err != nil {
			return nil, fmt.Errorf("-d @-: reading standard input: %w", err)
		}
		return b, nil
	case spec == "@":
		return nil, UsageErrorf("-d @ names no file: give -d @FILE, or -d @- to read standard input")
	case strings.HasPrefix(spec, "@"):
		f, err := os.Open(spec[1:])
		if err != nil {
			return nil, fmt.Errorf("-d: %w", err)
		}
		defer f.Close()
		b, err := readLimited(ctx, f, maxDataBytes)
		if err != nil {
			return nil, fmt.Errorf("-d %s: %w", spec, err)
		}
		return b, nil
	}
	return []byte(spec), nil
}

// readLimited reads r to its end, refusing more than limit bytes. It returns
// ctx's error as soon as ctx is done, even while a read is blocked (the
// reading goroutine then ends with the process, or with its next read).
func readLimited(ctx context.Context, r io.Reader, limit int64) ([]byte, error) {
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := io.ReadAll(io.LimitReader(r, limit+1))
		if err == nil && int64(len(b)) > limit {
			err = fmt.Errorf("more than %d MiB: request data is read whole; use a smaller file", limit>>20)
			b = nil
		}
		done <- result{b, err}
	}()
	select {
	case res := <-done:
		return res.b, res.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
