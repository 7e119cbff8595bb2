package conn

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/grpcpulse/grpcpulse/internal/inputfile"
)

// The most grpcpulse reads of the small files its flags name: a CA bundle
// or a key pair, a service config. /dev/zero or a mistyped path to a large
// file must fail at once, not fill memory.
const (
	maxPEMBytes           = 4 << 20
	maxServiceConfigBytes = 1 << 20
)

// readSmallFile reads the file at path, refusing one over limit bytes; flag
// names the flag in errors. A FIFO without a writer (or one that never
// ends) waits no longer than ctx.
func readSmallFile(ctx context.Context, flag, path string, limit int64) ([]byte, error) {
	b, err := inputfile.Read(ctx, path, limit)
	var pe *os.PathError
	var we *inputfile.WaitError
	switch {
	case errors.Is(err, inputfile.ErrTooLarge):
		return nil, fmt.Errorf("%s %s: larger than %d MiB, the limit for this file", flag, path, limit>>20)
	case errors.As(err, &pe) || errors.As(err, &we): // they name the file
		return nil, fmt.Errorf("%s: %w", flag, err)
	case err != nil:
		return nil, fmt.Errorf("%s %s: %w", flag, path, err)
	}
	return b, nil
}
