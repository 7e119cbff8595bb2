package intermediary

import "syscall"

// procAttr starts a process in its own group, killed if the test process
// dies first.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
