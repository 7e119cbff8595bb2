//go:build !unix

package cli

import "errors"

// dupFD is not available here: /dev/fd paths are a Unix idea.
func dupFD(int) (int, error) {
	return 0, errors.New("writing to a descriptor by its path is not supported here")
}
