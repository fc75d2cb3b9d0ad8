// leaky: a test fixture for rootline's goroutine analysis.  It leaks one
// goroutine (or -n of them) in each way the analysis knows, keeps a few
// healthy goroutines that must not be reported as leaks, and serves
// net/http/pprof on 127.0.0.1 only.  With -rate R it also leaks R goroutines
// per second (for growth tests).  It writes its address to -addrfile.
package main

import (
	"flag"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"sync"
	"time"
)

func chanSend(c chan int)         { c <- 1 }
func chanRecv(c chan int)         { <-c }
func nilSend()                    { var c chan int; c <- 1 }
func nilRecv()                    { var c chan int; <-c }
func selectNoReady(a, b chan int) { select { case <-a: case <-b: } }
func selectNoCases()              { select {} }
func mutexWait(m *sync.Mutex)     { m.Lock() }
func rwWait(m *sync.RWMutex)      { m.RLock() }
func wgWait(wg *sync.WaitGroup)   { wg.Wait() }
func condWait(c *sync.Cond)       { c.L.Lock(); c.Wait() }
func ioWait(c net.Conn)           { buf := make([]byte, 1); c.Read(buf) }
func longSleep()                  { time.Sleep(24 * time.Hour) }
func rateLeak(c chan int)         { <-c }

// healthy: a periodic worker that wakes every 10 ms
func ticker() {
	for {
		time.Sleep(10 * time.Millisecond)
	}
}

func main() {
	n := flag.Int("n", 1, "goroutines per leak kind")
	rate := flag.Int("rate", 0, "extra goroutines leaked per second")
	addrfile := flag.String("addrfile", "", "write the pprof address here")
	flag.Parse()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go http.Serve(ln, nil) // accept loop: healthy

	// a TCP peer for the IO wait leak, on loopback
	peer, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() {
		for {
			c, err := peer.Accept()
			if err != nil {
				return
			}
			defer c.Close() // keep it open, never write
		}
	}()

	var mu sync.Mutex
	mu.Lock()
	var rw sync.RWMutex
	rw.Lock()
	var wg sync.WaitGroup
	wg.Add(1)
	cond := sync.NewCond(&sync.Mutex{})
	for i := 0; i < *n; i++ {
		go chanSend(make(chan int))
		go chanRecv(make(chan int))
		go nilSend()
		go nilRecv()
		go selectNoReady(make(chan int), make(chan int))
		go selectNoCases()
		go mutexWait(&mu)
		go rwWait(&rw)
		go wgWait(&wg)
		go condWait(cond)
		c, err := net.Dial("tcp", peer.Addr().String())
		if err != nil {
			panic(err)
		}
		go ioWait(c)
		go longSleep()
	}
	go ticker()
	if *rate > 0 {
		go func() {
			t := time.NewTicker(time.Second / time.Duration(*rate))
			for range t.C {
				go rateLeak(make(chan int))
			}
		}()
	}
	time.Sleep(200 * time.Millisecond) // let every goroutine reach its wait
	if *addrfile != "" {
		os.WriteFile(*addrfile+".tmp", []byte(ln.Addr().String()), 0o644)
		os.Rename(*addrfile+".tmp", *addrfile)
	}
	select {} // main waits forever (goid 1 is never a leak)
}
