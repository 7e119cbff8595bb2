package cputime

import (
	"syscall"
	"time"
)

// Self is the process's user and system CPU time so far.
func Self() time.Duration {
	h, err := syscall.GetCurrentProcess()
	if err != nil {
		return 0
	}
	var created, exited, kernel, user syscall.Filetime
	if syscall.GetProcessTimes(h, &created, &exited, &kernel, &user) != nil {
		return 0
	}
	// Filetimes count 100 ns units.
	return time.Duration(ticks(kernel)+ticks(user)) * 100
}

func ticks(f syscall.Filetime) int64 {
	return int64(f.HighDateTime)<<32 | int64(f.LowDateTime)
}
