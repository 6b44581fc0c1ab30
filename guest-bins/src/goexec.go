// os/exec of itself (os.Executable) through pipes: the child upper-cases its stdin to
// stdout, writes a line to stderr and exits with status 3; the parent feeds it through a
// pipe, reads both outputs and the exit status. A second child runs with an environment of
// its own, and a third is killed by a signal.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

func child(mode string) {
	switch mode {
	case "upper":
		in, _ := io.ReadAll(os.Stdin)
		os.Stdout.WriteString(strings.ToUpper(string(in)))
		fmt.Fprintln(os.Stderr, "child read", len(in), "bytes")
		os.Exit(3)
	case "env":
		fmt.Println("GOEXEC_VALUE=" + os.Getenv("GOEXEC_VALUE"))
	case "hang":
		fmt.Println("child waiting")
		// A sleep, not `select {}`: with no goroutine left to wake it, Go's deadlock
		// detector would end the child (exit 2) and race with the parent's SIGKILL.
		time.Sleep(time.Hour)
	}
}

func main() {
	if len(os.Args) > 2 && os.Args[1] == "child" {
		child(os.Args[2])
		return
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Println("os.Executable:", err)
		os.Exit(1)
	}

	cmd := exec.Command(self, "child", "upper")
	stdin, _ := cmd.StdinPipe()
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		fmt.Println("start:", err)
		os.Exit(1)
	}
	for i := 0; i < 100; i++ {
		fmt.Fprintf(stdin, "line %d through the pipe\n", i)
	}
	stdin.Close()
	err = cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		fmt.Println("child exit status:", ee.ExitCode())
	} else {
		fmt.Println("child wait:", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	fmt.Println("child stdout lines:", len(lines), "last:", lines[len(lines)-1])
	fmt.Print("child stderr: ", errb.String())

	env := exec.Command(self, "child", "env")
	env.Env = []string{"GOEXEC_VALUE=from parent"}
	o, err := env.Output()
	fmt.Print("env child: ", string(o))
	fmt.Println("env child error:", err)

	hang := exec.Command(self, "child", "hang")
	pipe, _ := hang.StdoutPipe()
	if err := hang.Start(); err != nil {
		fmt.Println("start:", err)
		os.Exit(1)
	}
	first, _ := bufio.NewReader(pipe).ReadString('\n')
	fmt.Print("hang child said: ", first)
	hang.Process.Signal(syscall.SIGKILL)
	err = hang.Wait()
	if errors.As(err, &ee) {
		ws := ee.Sys().(syscall.WaitStatus)
		fmt.Println("hang child signaled:", ws.Signaled(), ws.Signal())
	} else {
		fmt.Println("hang child wait:", err)
	}
}
