//go:build linux && race

package h2

import "syscall"

// Under the race detector rawIO makes syscall.Read and syscall.Write:
// they tell the detector of the bytes the kernel wrote and of the order
// of I/O between goroutines, which raw system calls would hide. The rest
// of rawIO (RawConn's waits, the errors) is the same code.
func sysRead(fd uintptr, p []byte) (int, syscall.Errno) {
	n, err := syscall.Read(int(fd), p)
	if err != nil {
		return 0, err.(syscall.Errno)
	}
	return n, 0
}

func sysWrite(fd uintptr, p []byte) (int, syscall.Errno) {
	n, err := syscall.Write(int(fd), p)
	if err != nil {
		return 0, err.(syscall.Errno)
	}
	return n, 0
}
