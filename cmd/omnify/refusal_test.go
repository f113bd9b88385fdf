package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// mainEnv, when set, makes the test binary run main() itself, so a test
// can see the exit status a real process gets.
const mainEnv = "OMNIFY_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) != "" {
		os.Args = append([]string{"omnify"}, strings.Fields(os.Getenv(mainEnv))...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestSplitRoleWithoutNATSRefusesToStart runs the binary as an API or a
// worker process without OMNIFY_NATS_URL: it must stop before opening
// anything, with exit status 2 and a message that says why.
func TestSplitRoleWithoutNATSRefusesToStart(t *testing.T) {
	for _, tt := range []struct {
		name string
		args string
		env  []string
	}{
		{"serve --role=api", "serve --role=api", nil},
		{"serve --role=worker", "serve --role=worker", nil},
		{"OMNIFY_ROLE=worker", "serve", []string{"OMNIFY_ROLE=worker"}},
		{"an empty OMNIFY_NATS_URL", "--role=api", []string{"OMNIFY_NATS_URL= "}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), mainEnv+"="+tt.args, "OMNIFY_NATS_URL=", "OMNIFY_DATA_DIR="+t.TempDir(), "OMNIFY_HTTP_ADDR=127.0.0.1:0")
			cmd.Env = append(cmd.Env, tt.env...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 2 {
				t.Fatalf("exit: %v, want status 2\n%s", err, stderr.String())
			}
			msg := stderr.String()
			for _, want := range []string{"OMNIFY_NATS_URL", "is required with role", "would never reach the subscribers on API processes"} {
				if !strings.Contains(msg, want) {
					t.Fatalf("message lacks %q:\n%s", want, msg)
				}
			}
		})
	}
}
