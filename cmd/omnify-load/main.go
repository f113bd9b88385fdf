// Command omnify-load holds many GraphQL subscriptions open against an
// Omnify server, drives events to them, and reports what arrived, how late,
// and what each idle subscriber costs the server.
//
// Each subscriber is one WebSocket speaking graphql-transport-ws (a
// different WebSocket library from the server's), authenticated with one
// shared credential: the session cookie of a user it signs up, or an API key
// that user creates (sent in connection_init as "Authorization"), and
// holding one subscription. The tool reads the server's memory before the
// subscribers connect, once they are all live and idle, and after they
// leave: the resident set (VmRSS of -pid, or process_resident_memory_bytes)
// and the Go runtime's heap, stacks and goroutines from /metrics.
//
// Then a driver causes events, one at a time, and the tool counts how many
// of the N × events deliveries arrived and how long each took: from the
// event's "at" time to its receipt, and from the moment the mutation that
// caused it answered.
//
// The server caps the sockets of one user or API key
// (OMNIFY_WS_MAX_SOCKETS_PER_CLIENT, 16 by default): every subscriber here
// shares one credential, so the server under test must allow N. With -serve
// the tool starts the server itself (a temporary data directory, the
// embedded database, role api so no sync adds events of its own, the cap
// raised, the platform fake in this process) and stops it afterwards:
//
//	omnify-load -serve bin/omnify -n 2000 -events 20
//
// Against a server started elsewhere, pass -url, and -pid for its resident
// set; the integrations driver then needs a platform key the server's
// platform accepts (-platform, -platform-key).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "omnify-load:", err)
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	url         string
	serve       string
	pid         int
	n           int
	events      int
	document    string
	auth        string
	driver      string
	platform    string
	platformKey string
	concurrency int
	sourceIPs   int
	settle      time.Duration
	eventWait   time.Duration
	interval    time.Duration
	dialTimeout time.Duration
	serverEnv   string
}

func parse(args []string, out io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080", "the server's base URL (ignored with -serve)")
	fs.StringVar(&o.serve, "serve", "", "start this omnify binary on a temporary embedded database, run against it, stop it")
	fs.IntVar(&o.pid, "pid", 0, "the server's process id, to read its VmRSS from /proc (set by -serve)")
	fs.IntVar(&o.n, "n", 1000, "subscribers: WebSockets, one subscription each")
	fs.IntVar(&o.events, "events", 20, "events to drive, one at a time")
	fs.StringVar(&o.document, "document", "", "the subscription document (default: the driver's)")
	fs.StringVar(&o.auth, "auth", "cookie", "how subscribers authenticate: cookie (a signed-up user's session) or apikey (Bearer in connection_init)")
	fs.StringVar(&o.driver, "driver", "integrations", "what causes events: "+strings.Join(driverNames(), ", "))
	fs.StringVar(&o.platform, "platform", "KLAVIYO", "integrations driver: the platform to connect and disconnect")
	fs.StringVar(&o.platformKey, "platform-key", "", "integrations driver: a key the server's platform accepts (set by -serve)")
	fs.IntVar(&o.concurrency, "concurrency", 32, "subscribers connecting at once")
	fs.IntVar(&o.sourceIPs, "source-ips", 1, "bind sockets to this many loopback source addresses (127.0.0.1, .2, ...), for more than one address's ephemeral ports")
	fs.DurationVar(&o.settle, "settle", 5*time.Second, "wait after the subscribers are live, and after they leave, before reading memory")
	fs.DurationVar(&o.eventWait, "event-wait", 10*time.Second, "longest wait for one event to reach every subscriber")
	fs.DurationVar(&o.interval, "interval", 200*time.Millisecond, "pause between events")
	fs.DurationVar(&o.dialTimeout, "dial-timeout", 30*time.Second, "longest wait for one subscriber to connect and be acknowledged")
	fs.StringVar(&o.serverEnv, "server-env", "", "with -serve: more environment for the server, as NAME=value,NAME=value")
	if err := fs.Parse(args[1:]); err != nil {
		return o, err
	}
	switch {
	case o.n < 1:
		return o, errors.New("-n must be at least 1")
	case o.events < 0:
		return o, errors.New("-events must not be negative")
	case o.auth != "cookie" && o.auth != "apikey":
		return o, fmt.Errorf("-auth %q: use cookie or apikey", o.auth)
	case o.concurrency < 1 || o.sourceIPs < 1 || o.sourceIPs > 254:
		return o, errors.New("-concurrency must be at least 1, -source-ips 1 to 254")
	}
	if _, ok := drivers[o.driver]; !ok {
		return o, fmt.Errorf("-driver %q: one of %s", o.driver, strings.Join(driverNames(), ", "))
	}
	return o, nil
}

func run(ctx context.Context, args []string, out io.Writer) error {
	o, err := parse(args, out)
	if err != nil {
		return err
	}
	if o.serve != "" {
		// No background work adds events of its own, unless the events
		// are the workers' (agent executions).
		role := "api"
		if _, ok := drivers[o.driver](o).(workerRole); ok {
			role = "all"
		}
		srv, err := startServer(ctx, o.serve, o.serverEnv, role)
		if err != nil {
			return err
		}
		defer srv.stop(out)
		o.url, o.pid, o.platformKey = srv.url, srv.pid, srv.platformKey
		fmt.Fprintf(out, "server   %s (pid %d), data in a temporary directory, role %s, %s\n", o.url, o.pid, role, srv.settings)
	}
	return runLoad(ctx, o, out)
}
