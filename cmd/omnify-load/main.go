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
//
// -replicas R starts R servers on one embedded database (served by this
// process) and one NATS server, the first with the driver's role and the
// rest as API replicas; subscriber i connects to replica i mod R, the
// driver works through the first, and memory is summed over all of them.
// -clients C spreads the subscribers' sockets over C processes of this
// program, since a process may hold no more open files than its limit:
//
//	omnify-load -serve bin/omnify -n 20000 -replicas 2 -clients 2
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
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
	replicas    int
	clients     int
	child       bool

	queries       bool
	duration      time.Duration
	queryClients  []int
	platformsText string
	hold          string
	platforms     map[string]string // each platform's key, and Triple Whale's "shopDomain"

	urls []string // every server's base URL: -url's list, or the replicas -serve started
	pids []int    // their process ids, where known (0 where not)
}

func parse(args []string, out io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080", "the server's base URL, or several replicas' separated by commas (ignored with -serve)")
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
	fs.IntVar(&o.replicas, "replicas", 1, "with -serve: servers to start on one database and one NATS server; subscriber i connects to replica i mod replicas")
	fs.IntVar(&o.clients, "clients", 1, "processes that hold the subscribers' sockets (a process may open no more files than its limit)")
	fs.BoolVar(&o.child, "child", false, "run as one of -clients' processes (set by the tool itself)")
	fs.BoolVar(&o.queries, "queries", false, "drive queries instead of subscriptions: load 90 days of data by syncing every platform, then run the dashboard, serverInfo and me at each -query-clients for -duration")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "with -queries: how long each query runs at each number of clients")
	queryClients := fs.String("query-clients", "1,8,32", "with -queries: the numbers of concurrent clients, comma-separated")
	fs.StringVar(&o.hold, "hold", "", "with -queries: instead of driving the queries, write a wrk script for each into this directory, print how to run wrk, and keep the server up until interrupted")
	fs.StringVar(&o.platformsText, "platform-keys", "", "with -queries against -url: TRIPLE_WHALE=key,HUBSPOT=key,KLAVIYO=key,shopDomain=shop (set by -serve)")
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
	case o.replicas < 1 || o.replicas > 16 || o.clients < 1 || o.clients > 16:
		return o, errors.New("-replicas and -clients must be 1 to 16")
	}
	for c := range strings.SplitSeq(*queryClients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 || n > 1024 {
			return o, fmt.Errorf("-query-clients %q: numbers from 1 to 1024", *queryClients)
		}
		o.queryClients = append(o.queryClients, n)
	}
	o.platforms = map[string]string{}
	if o.platformsText != "" {
		for kv := range strings.SplitSeq(o.platformsText, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
			if !ok {
				return o, fmt.Errorf("-platform-keys: %q is not NAME=value", kv)
			}
			o.platforms[k] = v
		}
	}
	for u := range strings.SplitSeq(o.url, ",") {
		o.urls = append(o.urls, strings.TrimSpace(u))
	}
	o.url = o.urls[0]
	o.pids = make([]int, len(o.urls))
	o.pids[0] = o.pid
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
	if o.child {
		return runChild(ctx, o, os.Stdin, out)
	}
	if o.serve != "" {
		// No background work adds events of its own, unless the events
		// are the workers' (agent executions).
		role := "api"
		if _, ok := drivers[o.driver](o).(workerRole); ok || o.queries {
			role = "all" // workers run the agents, or the syncs that load the data
		}
		c, err := startCluster(ctx, o.serve, o.serverEnv, role, o.replicas)
		if err != nil {
			return err
		}
		defer c.stop(out)
		o.urls, o.pids, o.platformKey, o.platforms = nil, nil, c.platformKey, c.platforms
		for i, s := range c.servers {
			o.urls, o.pids = append(o.urls, s.url), append(o.pids, s.pid)
			r := role
			if i > 0 {
				r = "api"
			}
			fmt.Fprintf(out, "server   %s (pid %d), data in a temporary directory, role %s, %s\n", s.url, s.pid, r, c.settings)
		}
		o.url, o.pid = o.urls[0], o.pids[0]
		if c.db != nil {
			fmt.Fprintf(out, "         %d replicas on one embedded database served by this process, events between them over NATS\n", len(c.servers))
		}
	}
	if o.queries {
		return runQueries(ctx, o, out)
	}
	return runLoad(ctx, o, out)
}
