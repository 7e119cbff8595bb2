//go:build unix

package inputfile

import (
	"os"
	"syscall"
)

// releaseFIFO ends an open(2) for reading that waits on the FIFO at path:
// opening it for writing without blocking succeeds while a reader waits,
// and lets that open return. The returned func closes the writer, after the
// waiting open has returned.
func releaseFIFO(path string) func() {
	w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return func() {}
	}
	return func() { w.Close() }
}
