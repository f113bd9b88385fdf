// Command platformfake serves the fake Triple Whale, HubSpot and Klaviyo
// APIs of package platformtest to tests outside Go (the end-to-end suite).
// It listens on loopback ports only, prints one JSON line on stdout with the
// platforms' base URLs and the control URL:
//
//	{"tripleWhale":"http://127.0.0.1:P1/api/v2","hubSpot":"http://127.0.0.1:P2","klaviyo":"http://127.0.0.1:P3","control":"http://127.0.0.1:P4"}
//
// and is driven through the control API (platformtest.Fake.ControlHandler)
// until SIGINT or SIGTERM, or, with -stdin, until its standard input ends,
// so that it never outlives the process that started it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/omnify/bff/internal/integrations/platform/platformtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "platformfake:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "address of the control API (loopback)")
	hsPage := fs.Int("hubspot-page-size", 0, "cap of a HubSpot page (0: 100)")
	klPage := fs.Int("klaviyo-page-size", 0, "size of a Klaviyo page (0: 10)")
	watchStdin := fs.Bool("stdin", false, "stop when standard input ends")
	reportLimits := fs.String("klaviyo-report-limits", "1/1s,2/1m,225/24h", "limits of Klaviyo's reporting endpoints per account: burst,steady,daily as calls/window")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	limits, err := platformtest.ParseReportLimits(*reportLimits)
	if err != nil {
		return err
	}

	fake := platformtest.New(platformtest.Config{HubSpotPageSize: *hsPage, KlaviyoPageSize: *klPage, KlaviyoReportLimits: limits})
	defer fake.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: fake.ControlHandler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if *watchStdin {
		go func() {
			_, _ = io.Copy(io.Discard, stdin)
			cancel()
		}()
	}

	urls := fake.URLs()
	line, _ := json.Marshal(map[string]string{
		"tripleWhale": urls.TripleWhale, "hubSpot": urls.HubSpot, "klaviyo": urls.Klaviyo,
		"control": "http://" + ln.Addr().String(),
	})
	if _, err := fmt.Fprintf(stdout, "%s\n", line); err != nil {
		return err
	}

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
