// os/signal: Notify for SIGUSR1 and SIGINT, each sent to the process itself with
// syscall.Kill; signal.Ignore of SIGUSR2 (a sent SIGUSR2 must not kill it); signal.Stop and
// then a SIGHUP caught by a second channel; finally signal.Reset(SIGTERM) and a SIGTERM to
// itself, which kills the process with the default action.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	pid := syscall.Getpid()
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, syscall.SIGUSR1, syscall.SIGINT)

	syscall.Kill(pid, syscall.SIGUSR1)
	fmt.Println("received:", <-ch)
	syscall.Kill(pid, syscall.SIGINT)
	fmt.Println("received:", <-ch)

	signal.Ignore(syscall.SIGUSR2)
	syscall.Kill(pid, syscall.SIGUSR2)
	time.Sleep(10 * time.Millisecond)
	fmt.Println("SIGUSR2 ignored; still running")

	signal.Stop(ch)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	syscall.Kill(pid, syscall.SIGHUP)
	fmt.Println("received:", <-hup)
	select {
	case s := <-ch:
		fmt.Println("stopped channel got", s)
	default:
		fmt.Println("stopped channel empty")
	}

	if len(os.Args) > 1 && os.Args[1] == "term" {
		signal.Reset(syscall.SIGTERM)
		os.Stdout.Sync()
		syscall.Kill(pid, syscall.SIGTERM)
		time.Sleep(5 * time.Second)
		fmt.Println("still alive after SIGTERM")
	}
}
