// Command testdb runs the embedded FerretDB on its own, for tests: mongotest
// starts it as a separate process built without the race detector, so that
// a race-instrumented test binary does not also instrument the database
// (its SQLite is Go translated from C, and runs many times slower so).
//
// It stores its files under the directory given as its only argument,
// prints the connection string on one line, and stops when its standard
// input closes (the test binary exited) or on SIGTERM.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/omnify/bff/internal/mongodb"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: testdb DIR")
		os.Exit(2)
	}
	emb, err := mongodb.StartEmbeddedTCP(os.Args[1], nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(emb.URI())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		stop()
	}()
	<-ctx.Done()
	emb.Close()
}
