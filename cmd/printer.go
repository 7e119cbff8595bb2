package cmd

import (
	"fmt"
	"io"
)

// printer writes formatted output and keeps the first write error, so that a
// run of prints can be checked once (a full disk or a closed pipe must not
// end in exit 0).
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}
