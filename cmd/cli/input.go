package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/grpcpulse/grpcpulse/internal/inputfile"
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
		b, err := inputfile.Read(ctx, spec[1:], maxDataBytes)
		var pe *os.PathError
		var we *inputfile.WaitError
		switch {
		case errors.Is(err, inputfile.ErrTooLarge):
			return nil, fmt.Errorf("-d %s: %w", spec, errDataTooLarge)
		case errors.As(err, &pe) || errors.As(err, &we): // they name the file
			return nil, fmt.Errorf("-d: %w", err)
		case err != nil:
			return nil, fmt.Errorf("-d %s: %w", spec, err)
		}
		return b, nil
	}
	return []byte(spec), nil
}

// errDataTooLarge is the error of -d over maxDataBytes.
var errDataTooLarge = fmt.Errorf("more than %d MiB: request data is read whole; use a smaller file", maxDataBytes>>20)

// readLimited reads r to its end, refusing more than limit bytes, and
// returns as soon as ctx is done (see inputfile.ReadAll).
func readLimited(ctx context.Context, r io.Reader, limit int64) ([]byte, error) {
	b, err := inputfile.ReadAll(ctx, r, limit)
	if errors.Is(err, inputfile.ErrTooLarge) {
		return nil, errDataTooLarge
	}
	return b, err
}
