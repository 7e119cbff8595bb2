package conn

import (
	"fmt"
	"io"
	"os"
)

// The most grpcpulse reads of the small files its flags name: a CA bundle
// or a key pair, a service config. /dev/zero or a mistyped path to a large
// file must fail at once, not fill memory.
const (
	maxPEMBytes           = 4 << 20
	maxServiceConfigBytes = 1 << 20
)

// readSmallFile reads the file at path, refusing one over limit bytes; flag
// names the flag in errors.
func readSmallFile(flag, path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s %s: larger than %d MiB, the limit for this file", flag, path, limit>>20)
	}
	return b, nil
}
