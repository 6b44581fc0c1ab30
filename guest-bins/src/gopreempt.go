// Asynchronous preemption: under GOMAXPROCS=1 a goroutine spins in a loop with no function
// calls (so no cooperative preemption point); the main goroutine sleeps and can only run
// again once the runtime preempts the spinner with a signal (SIGURG). Then it stops it.
package main

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
)

var stop atomic.Bool
var spins uint64

func spin(started chan<- struct{}) {
	close(started)
	n := uint64(0)
	for !stop.Load() {
		n++
	}
	atomic.StoreUint64(&spins, n)
}

func main() {
	runtime.GOMAXPROCS(1)
	started := make(chan struct{})
	go spin(started)
	<-started
	time.Sleep(30 * time.Millisecond)
	fmt.Println("main goroutine ran again while the spinner spun")
	stop.Store(true)
	for atomic.LoadUint64(&spins) == 0 {
		runtime.Gosched()
	}
	fmt.Println("spinner stopped after spinning:", atomic.LoadUint64(&spins) > 0)
}
