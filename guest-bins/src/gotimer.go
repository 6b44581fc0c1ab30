// Timers: time.Sleep, time.After, a time.Ticker, timer Stop and Reset, time.AfterFunc and a
// context deadline. Prints only what happened and in which order, never times.
package main

import (
	"context"
	"fmt"
	"time"
)

func main() {
	start := time.Now()
	time.Sleep(20 * time.Millisecond)
	fmt.Println("slept at least 20ms:", time.Since(start) >= 20*time.Millisecond)

	select {
	case <-time.After(10 * time.Millisecond):
		fmt.Println("time.After fired")
	case <-time.After(5 * time.Second):
		fmt.Println("wrong timer fired")
	}

	t := time.NewTicker(5 * time.Millisecond)
	ticks := 0
	for range t.C {
		ticks++
		if ticks == 5 {
			break
		}
	}
	t.Stop()
	fmt.Println("ticks:", ticks)

	stopped := time.NewTimer(time.Hour)
	fmt.Println("stop before firing:", stopped.Stop())
	reset := time.NewTimer(time.Hour)
	reset.Reset(time.Millisecond)
	<-reset.C
	fmt.Println("reset timer fired")

	done := make(chan string)
	time.AfterFunc(3*time.Millisecond, func() { done <- "AfterFunc ran" })
	fmt.Println(<-done)

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Millisecond)
	defer cancel()
	<-ctx.Done()
	fmt.Println("context:", ctx.Err())

	elapsed := time.Since(start)
	fmt.Println("monotonic clock moved forward:", elapsed > 0)
}
