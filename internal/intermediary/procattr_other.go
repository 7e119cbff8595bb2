//go:build unix && !linux

package intermediary

import "syscall"

// procAttr starts a process in its own group (no parent-death signal
// outside Linux: a test killed hard may leave its proxy running).
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
