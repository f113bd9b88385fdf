package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/omnify/bff/internal/app"
	"github.com/omnify/bff/internal/config"
	"github.com/omnify/bff/internal/demo"
	"github.com/omnify/bff/internal/integrations"
	"github.com/omnify/bff/internal/legal"
)

// usageError is a mistake in the command line or the environment; the
// process exits with status 2 for it.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

const usage = `usage: omnify [command] [flags]

commands:
  serve [--role=all|api|worker]   serve the API and run background work (default)
  legal publish --kind K --title T --file F
                                  publish a new version of a legal document
  rollups rebuild [--batch N]     rebuild every organization's dashboard read models from
                                  the synced records (N organizations at a time)
  demo                            create the demo organization, or reset its password and
                                  regenerate its sample data; prints the demo login
  healthcheck                     exit 0 when the local server answers /healthz (for containers)
  version                         print the version

Configuration comes from environment variables; see the README.
`

// run is the whole program: it reads the command line and the environment,
// and runs the chosen command until ctx is cancelled.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd, rest := "serve", []string{}
	if len(args) > 1 {
		cmd, rest = args[1], args[2:]
		if strings.HasPrefix(cmd, "-") {
			cmd, rest = "serve", args[1:]
		}
	}
	switch cmd {
	case "serve":
		return serve(ctx, rest, getenv, stdout, stderr)
	case "legal":
		return legalCommand(ctx, rest, getenv, stdout, stderr)
	case "rollups":
		return rollupsCommand(ctx, rest, getenv, stdout, stderr)
	case "demo":
		return demoCommand(ctx, rest, getenv, stdout, stderr)
	case "healthcheck":
		return healthcheck(ctx, getenv, stdout)
	case "version", "--version":
		_, err := fmt.Fprintln(stdout, "omnify", version)
		return err
	case "help", "-h", "--help":
		_, err := fmt.Fprint(stdout, usage)
		return err
	}
	fmt.Fprint(stderr, usage)
	return &usageError{fmt.Errorf("unknown command %q", cmd)}
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	role := fs.String("role", "", "which parts to run: all, api or worker (default OMNIFY_ROLE or all)")
	if err := fs.Parse(args); err != nil {
		return &usageError{err}
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return &usageError{fmt.Errorf("invalid configuration:\n%w", err)}
	}
	if *role != "" {
		if cfg.Role, err = config.ParseRole(*role); err != nil {
			return &usageError{err}
		}
	}
	if err := cfg.CheckRole(); err != nil {
		return &usageError{fmt.Errorf("invalid configuration:\n%w", err)}
	}
	if err := app.CheckDemoPassword(cfg); err != nil {
		return &usageError{fmt.Errorf("invalid configuration:\n%w", err)}
	}
	logger := newLogger(cfg, stderr)

	a, err := app.New(ctx, cfg, app.Options{Version: version, Logger: logger})
	if err != nil {
		return err
	}
	base := baseURL(a.Addr())
	logger.Info("omnify started", slog.String("version", version), slog.String("role", string(cfg.Role)),
		slog.String("addr", a.Addr().String()), slog.Bool("embedded_database", cfg.MongoURI == ""))
	if cfg.RunsAPI() {
		fmt.Fprintf(stdout, "Omnify %s is ready.\n  app:        %s/\n  GraphQL:    %s/graphql\n  playground: %s/playground\n", version, base, base, base)
	} else {
		fmt.Fprintf(stdout, "Omnify %s worker is ready.\n  health: %s/healthz\n  metrics: %s/metrics\n", version, base, base)
	}
	printDemo(stdout, a.Demo())
	err = a.Serve(ctx)
	if err == nil {
		logger.Info("omnify stopped")
	}
	return err
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// baseURL is the address a person on this machine would type in a browser.
func baseURL(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return "http://" + addr.String()
	}
	host := "localhost"
	if !tcp.IP.IsUnspecified() && !tcp.IP.IsLoopback() {
		host = tcp.IP.String()
	}
	return fmt.Sprintf("http://%s", net.JoinHostPort(host, fmt.Sprint(tcp.Port)))
}

// healthcheck asks the server on this machine's OMNIFY_HTTP_ADDR port for
// /healthz, so a container image without curl can check itself.
func healthcheck(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	addr := getenv("OMNIFY_HTTP_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return &usageError{fmt.Errorf("OMNIFY_HTTP_ADDR: %q is not host:port", addr)}
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort("127.0.0.1", port)+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %d", resp.StatusCode)
	}
	_, err = fmt.Fprintln(stdout, "ok")
	return err
}

// legalCommand runs `omnify legal publish`: it publishes a new version of a
// legal document and prints its number; from then on everyone to whom it
// applies has it pending.
func legalCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "publish" {
		fmt.Fprint(stderr, "usage: omnify legal publish --kind TERMS_OF_SERVICE|PRIVACY_POLICY|DATA_PROCESSING_AGREEMENT --title TITLE --file FILE.md\n")
		return &usageError{errors.New("legal: unknown or missing subcommand")}
	}
	fs := flag.NewFlagSet("legal publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kind := fs.String("kind", "", "document kind: TERMS_OF_SERVICE, PRIVACY_POLICY or DATA_PROCESSING_AGREEMENT (or from the file's header)")
	title := fs.String("title", "", "the document's title (or from the file's header)")
	file := fs.String("file", "", "Markdown file with the document's text")
	if err := fs.Parse(args[1:]); err != nil {
		return &usageError{err}
	}
	if *file == "" {
		return &usageError{errors.New("legal publish: --file is required")}
	}
	k := legal.Kind(strings.ToUpper(strings.TrimSpace(*kind)))
	if k != "" && !k.Valid() {
		return &usageError{fmt.Errorf("legal publish: --kind %q is not TERMS_OF_SERVICE, PRIVACY_POLICY or DATA_PROCESSING_AGREEMENT", *kind)}
	}
	data, err := os.ReadFile(*file)
	if err != nil {
		return fmt.Errorf("legal publish: %w", err)
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return &usageError{fmt.Errorf("invalid configuration:\n%w", err)}
	}
	doc, err := app.PublishLegalDocument(ctx, cfg, newLogger(cfg, stderr), app.PublishInput{Kind: k, Title: *title, File: data})
	if err != nil {
		return fmt.Errorf("legal publish: %s; nothing was published", app.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "Published %s version %d (%s), id %s.\n", doc.Kind, doc.Version, doc.Title, doc.ID.Hex())
	return nil
}

// rollupsCommand runs `omnify rollups rebuild`: it rebuilds every
// organization's read models from the synced records and prints how many.
// It is idempotent, and safe while servers and workers run.
func rollupsCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "rebuild" {
		fmt.Fprint(stderr, "usage: omnify rollups rebuild [--batch N]\n")
		return &usageError{errors.New("rollups: unknown or missing subcommand")}
	}
	fs := flag.NewFlagSet("rollups rebuild", flag.ContinueOnError)
	fs.SetOutput(stderr)
	batch := fs.Int("batch", integrations.DefaultRebuildBatch, "organizations listed at a time (1 to 1000)")
	if err := fs.Parse(args[1:]); err != nil {
		return &usageError{err}
	}
	if *batch < 1 || *batch > 1000 {
		return &usageError{fmt.Errorf("rollups rebuild: --batch %d is not between 1 and 1000", *batch)}
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return &usageError{fmt.Errorf("invalid configuration:\n%w", err)}
	}
	n, err := app.RebuildRollups(ctx, cfg, newLogger(cfg, stderr), *batch)
	if err != nil {
		return fmt.Errorf("rollups rebuild: %s (%d organizations rebuilt before it)", app.ErrorMessage(err), n)
	}
	fmt.Fprintf(stdout, "Rebuilt the read models of %d organizations.\n", n)
	return nil
}

// printDemo adds what start-up did about the demo organization to the
// lines that say the server is ready: the demo login once, when this
// process created it; afterwards, that it exists.
func printDemo(w io.Writer, r demo.Result) {
	switch r.Outcome {
	case demo.Created, demo.Reset:
		fmt.Fprintf(w, "  demo login: %s / %s\n", r.Email, r.Password)
	case demo.Exists:
		fmt.Fprintf(w, "  demo:       the demo organization exists (login %s); `omnify demo` resets its password\n", r.Email)
	case demo.InProgress:
		fmt.Fprintf(w, "  demo:       another process is creating the demo organization and prints its login\n")
	}
}

// demoCommand runs `omnify demo`: it creates the demo organization when
// it does not exist, and otherwise sets a new password for the demo user
// (OMNIFY_DEMO_PASSWORD, or random) and regenerates its sample data to end
// yesterday; it prints the demo login either way.
func demoCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return &usageError{err}
	}
	if fs.NArg() > 0 {
		return &usageError{fmt.Errorf("demo: unexpected argument %q", fs.Arg(0))}
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return &usageError{fmt.Errorf("invalid configuration:\n%w", err)}
	}
	if err := demo.CheckPassword(cfg.DemoPassword); err != nil {
		return &usageError{fmt.Errorf("invalid configuration:\n%w", err)}
	}
	r, err := app.ResetDemo(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return fmt.Errorf("demo: %s", strings.TrimPrefix(app.ErrorMessage(err), "demo: "))
	}
	what := "created"
	if r.Outcome == demo.Reset {
		what = "reset: new password, sample data regenerated to end yesterday"
	}
	fmt.Fprintf(stdout, "Demo organization %q %s.\n  demo login: %s / %s\n", demo.OrganizationName, what, r.Email, r.Password)
	return nil
}
