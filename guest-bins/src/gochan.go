// Goroutines over GOMAXPROCS=4: a pipeline of channels, a worker pool behind a
// sync.WaitGroup, a sync.Mutex-protected map, sync/atomic counters, a select over several
// channels and sync.Once. Prints only totals, so the output is the same in every schedule.
package main

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

func pipeline() {
	src := make(chan int)
	sq := make(chan int, 8)
	go func() {
		for i := 1; i <= 1000; i++ {
			src <- i
		}
		close(src)
	}()
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range src {
				sq <- v * v
			}
		}()
	}
	go func() { wg.Wait(); close(sq) }()
	sum := 0
	for v := range sq {
		sum += v
	}
	fmt.Println("pipeline sum of squares 1..1000:", sum)
}

func mutexMap() {
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				mu.Lock()
				counts[i%10]++
				mu.Unlock()
				if i%100 == 0 {
					runtime.Gosched()
				}
			}
		}(g)
	}
	wg.Wait()
	total := 0
	for k := 0; k < 10; k++ {
		total += counts[k]
	}
	fmt.Println("mutex map keys:", len(counts), "total:", total, "key 7:", counts[7])
}

func atomics() {
	var n atomic.Int64
	var cas int32
	var wins atomic.Int32
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10000; i++ {
				n.Add(1)
			}
			if atomic.CompareAndSwapInt32(&cas, 0, 1) {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	fmt.Println("atomic adds:", n.Load(), "cas winners:", wins.Load())
}

func selects() {
	a := make(chan int)
	b := make(chan string)
	done := make(chan struct{})
	go func() {
		for i := 0; i < 50; i++ {
			a <- i
		}
	}()
	go func() {
		for i := 0; i < 30; i++ {
			b <- "x"
		}
	}()
	go func() {
		ints, strs := 0, 0
		for ints < 50 || strs < 30 {
			select {
			case v := <-a:
				ints++
				_ = v
			case <-b:
				strs++
			}
		}
		fmt.Println("select received ints:", ints, "strings:", strs)
		close(done)
	}()
	<-done
}

func once() {
	var o sync.Once
	var calls atomic.Int32
	var wg sync.WaitGroup
	for g := 0; g < 10; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o.Do(func() { calls.Add(1) })
		}()
	}
	wg.Wait()
	fmt.Println("once calls:", calls.Load())
}

func condvar() {
	var mu sync.Mutex
	c := sync.NewCond(&mu)
	ready := 0
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mu.Lock()
			ready++
			c.Broadcast()
			mu.Unlock()
		}()
	}
	mu.Lock()
	for ready < 6 {
		c.Wait()
	}
	mu.Unlock()
	wg.Wait()
	fmt.Println("cond ready:", ready)
}

func main() {
	prev := runtime.GOMAXPROCS(4)
	_ = prev
	fmt.Println("GOMAXPROCS:", runtime.GOMAXPROCS(0))
	pipeline()
	mutexMap()
	atomics()
	selects()
	once()
	condvar()
}
