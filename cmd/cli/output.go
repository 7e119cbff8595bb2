package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// writeOutput writes a report to path, or to out when path is empty or "-".
//
// A regular file (or a path that does not exist yet) is written atomically:
// to a temporary file beside it, synced, then renamed over it, so a reader
// never sees half a report and an earlier report is only replaced by a
// complete one. A symbolic link is resolved first, so the link stays and its
// target gets the report; an existing file keeps its permission bits.
// Anything else (/dev/null, /dev/stdout, a FIFO, a terminal) is written
// straight through: renaming over it would replace a device or a pipe with a
// plain file.
func writeOutput(out io.Writer, path string, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		return write(out)
	}
	if err := WriteFile(path, write); err != nil {
		return fmt.Errorf("writing the report to %s: %w", path, err)
	}
	return nil
}

// WriteFile writes a file at path as writeOutput does (atomically for a
// regular file or a new one, straight through for a device or a FIFO); its
// errors do not name path.
func WriteFile(path string, write func(io.Writer) error) error {
	target, info, err := resolveOutput(path)
	if err != nil {
		return err
	}
	if info != nil && !info.Mode().IsRegular() {
		return writeThrough(target, write)
	}
	mode := fs.FileMode(0o644)
	if info != nil {
		mode = info.Mode().Perm()
	}
	return writeAtomic(target, mode, write)
}

// resolveOutput follows symbolic links from path to the file a report is to
// replace, and returns what it found there (nil info when nothing exists
// yet: a dangling link's target is created).
func resolveOutput(path string) (string, fs.FileInfo, error) {
	for range 40 { // the kernel's own limit on links in a path
		info, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return path, nil, nil
		}
		if err != nil {
			return "", nil, err
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			return path, info, nil
		}
		link, err := os.Readlink(path)
		if err != nil {
			return "", nil, err
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(path), link)
		}
		path = link
	}
	return "", nil, errors.New("too many levels of symbolic links")
}

// writeThrough writes to an existing file that is not a regular one.
func writeThrough(path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	buf := bufio.NewWriter(f)
	err = write(buf)
	if err == nil {
		err = buf.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeAtomic writes path through a temporary file renamed over it.
func writeAtomic(path string, mode fs.FileMode, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	buf := bufio.NewWriter(tmp)
	err = write(buf)
	if err == nil {
		err = buf.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), mode)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	return err
}
