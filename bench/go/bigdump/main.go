// bigdump: writes a goroutine dump (debug=2 text) of a process holding N
// blocked goroutines in several shapes (channel, select, mutex, WaitGroup,
// nested call depths), for rootline's parser benchmark.
package main

import (
	"flag"
	"os"
	"runtime/pprof"
	"sync"
	"time"
)

func depth(n int, f func()) {
	if n == 0 {
		f()
		return
	}
	depth(n-1, f)
}

func main() {
	n := flag.Int("n", 100000, "goroutines")
	out := flag.String("o", "dump.txt", "output file")
	flag.Parse()
	var mu sync.Mutex
	mu.Lock()
	var wg sync.WaitGroup
	wg.Add(1)
	block := make(chan int)
	for i := 0; i < *n; i++ {
		d := i % 7
		switch i % 4 {
		case 0:
			go depth(d, func() { <-block })
		case 1:
			go depth(d, func() { select { case <-block: case <-time.After(time.Hour): } })
		case 2:
			go depth(d, func() { mu.Lock() })
		default:
			go depth(d, func() { wg.Wait() })
		}
	}
	time.Sleep(2 * time.Second)
	f, err := os.Create(*out)
	if err != nil {
		panic(err)
	}
	pprof.Lookup("goroutine").WriteTo(f, 2)
	f.Close()
}
