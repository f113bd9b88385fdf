package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/omnify/bff/internal/app"
	"github.com/omnify/bff/internal/config"
	"github.com/omnify/bff/internal/mongodb/mongotest"
)

var dbs *mongotest.Server

// childEnv, when set in the environment, makes the test binary an Omnify
// process configured from its environment (tests that need several
// processes on one database start it).
const childEnv = "OMNIFY_TEST_CHILD_PROCESS"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChild())
	}
	mongotest.Main(m, &dbs)
}

// runChild serves like `omnify serve` until SIGTERM, printing "ready" and
// its address on stdout once it listens.
func runChild() int {
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if os.Getenv("OMNIFY_DEMO") == "" {
		cfg.Demo = false // no demo organization unless the test asks for one
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	a, err := app.New(ctx, cfg, app.Options{Version: "test-child", Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready", a.Addr())
	if err := a.Serve(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
