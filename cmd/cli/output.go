package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// writeOutput writes a report to path, or to out when path is empty or "-".
//
// A regular file (or a path that does not exist yet) is written atomically:
// to a temporary file beside it, synced, then renamed over it, so a reader
// never sees half a report and an earlier report is only replaced by a
// complete one. A symbolic link is resolved first, so the link stays and its
// target gets the report; an existing file keeps its permission bits.
// Anything else (/dev/null, a FIFO, a terminal) is written straight
// through: renaming over it would replace a device or a pipe with a plain
// file. A stream this process already holds (/dev/stdout, /dev/stderr,
// /dev/fd/N, /proc/self/fd/N, or a link to one) is written in place on
// that descriptor, whatever it is: a pipe, a terminal, or a file the shell
// opened (`-o /dev/stdout >> log.txt` appends, as the shell asked).
func writeOutput(out io.Writer, path string, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		return write(out)
	}
	if err := writePath(out, path, write); err != nil {
		return fmt.Errorf("writing the report to %s: %w", path, err)
	}
	return nil
}

// WriteFile writes a file at path as writeOutput does (atomically for a
// regular file or a new one, straight through for a device or a FIFO, in
// place on a descriptor this process holds); its errors do not name path.
func WriteFile(path string, write func(io.Writer) error) error {
	return writePath(nil, path, write)
}

// writePath is WriteFile; out, when not nil, is what /dev/stdout means.
func writePath(out io.Writer, path string, write func(io.Writer) error) error {
	target, info, err := resolveOutput(path)
	if err != nil {
		return err
	}
	if fd, ok := heldFD(target); ok {
		return writeFD(out, fd, write)
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

// CheckWritable tells, before a run, whether a report can be written at
// path: the directory the atomic write creates its temporary file in
// exists and takes a new file (one is made and removed). A descriptor of
// ours, a device or a FIFO is not checked (opening a FIFO would wait).
func CheckWritable(path string) error {
	target, info, err := resolveOutput(path)
	if err != nil {
		return err
	}
	if info != nil && info.IsDir() {
		return errors.New("it is a directory: name a file in it")
	}
	if _, ok := heldFD(target); ok || info != nil && !info.Mode().IsRegular() {
		return nil
	}
	dir := filepath.Dir(target)
	if di, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("the directory %s does not exist", dir)
	} else if err != nil {
		return err
	} else if !di.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	f, err := os.CreateTemp(dir, ".grpcpulse-check-*")
	if err != nil {
		return fmt.Errorf("cannot create a file in %s: %w", dir, errors.Unwrap(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

// resolveOutput follows symbolic links from path to the file a report is to
// replace, and returns what it found there (nil info when nothing exists
// yet: a dangling link's target is created).
func resolveOutput(path string) (string, fs.FileInfo, error) {
	for range 40 { // the kernel's own limit on links in a path
		if _, ok := heldFD(path); ok {
			return path, nil, nil // a descriptor of ours: its link names no file to follow
		}
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

// heldFD says whether path names a descriptor this process holds, and
// which: /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N or
// /proc/PID/fd/N with our own PID.
func heldFD(path string) (int, bool) {
	switch path = filepath.Clean(path); path {
	case "/dev/stdout":
		return 1, true
	case "/dev/stderr":
		return 2, true
	}
	dir, name := filepath.Split(path)
	switch dir {
	case "/dev/fd/", "/proc/self/fd/", "/proc/" + strconv.Itoa(os.Getpid()) + "/fd/":
	default:
		return 0, false
	}
	fd, err := strconv.Atoi(name)
	return fd, err == nil && fd >= 0
}

// writeFD writes to the descriptor fd in place: standard output through out
// (as -o - does), any other through a duplicate that shares its offset and
// its O_APPEND.
func writeFD(out io.Writer, fd int, write func(io.Writer) error) error {
	if fd == 1 && out != nil {
		return write(out)
	}
	dup, err := dupFD(fd)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(dup), "/dev/fd/"+strconv.Itoa(fd))
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
