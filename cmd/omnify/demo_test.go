package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/mongodb"
)

var demoLogin = regexp.MustCompile(`demo login: demo@omnify\.example / (\S+)`)

// TestDemoCommand runs `omnify demo` twice on an embedded database, then
// serves it: the first run creates the demo organization, the second gives
// it a new password (the first no longer works), and neither duplicates
// it; while the server runs, `omnify demo` refuses to touch its database.
func TestDemoCommand(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"OMNIFY_DATA_DIR": dir, "OMNIFY_LOG_LEVEL": "warn", "OMNIFY_HTTP_ADDR": "127.0.0.1:0"}
	getenv := func(k string) string { return vars[k] }
	demo := func() (string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{"omnify", "demo"}, getenv, &out, &errOut)
		return out.String() + errOut.String(), err
	}
	password := func(out string) string {
		m := demoLogin.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no demo login in %q", out)
		}
		return m[1]
	}

	vars["OMNIFY_DEMO_PASSWORD"] = "short"
	out, err := demo()
	var ue *usageError
	if err == nil || !asUsage(err, &ue) || !strings.Contains(err.Error(), "OMNIFY_DEMO_PASSWORD") {
		t.Fatalf("a short OMNIFY_DEMO_PASSWORD: %v %q", err, out)
	}
	delete(vars, "OMNIFY_DEMO_PASSWORD")

	out, err = demo()
	if err != nil || !strings.Contains(out, "created") {
		t.Fatalf("first omnify demo: %v %q", err, out)
	}
	first := password(out)
	out, err = demo()
	if err != nil || !strings.Contains(out, "reset") {
		t.Fatalf("second omnify demo: %v %q", err, out)
	}
	second := password(out)
	if first == second {
		t.Fatal("the password did not change")
	}

	// Serve the database: it says the demo exists, and only the second
	// password logs in.
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var serveErr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"omnify", "serve"}, getenv, pw, &serveErr)
		_ = pw.Close()
	}()
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var base, demoLine string
	deadline := time.After(60 * time.Second)
	for demoLine == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("serve stopped: %v\n%s", <-done, serveErr.String())
			}
			if u, found := strings.CutPrefix(strings.TrimSpace(l), "GraphQL:"); found {
				base = strings.TrimSpace(u)
			}
			if strings.HasPrefix(strings.TrimSpace(l), "demo") {
				demoLine = l
			}
		case <-deadline:
			t.Fatalf("serve not ready\n%s", serveErr.String())
		}
	}
	go func() {
		for range lines {
		}
	}()
	if !strings.Contains(demoLine, "exists") || !strings.Contains(demoLine, "omnify demo") {
		t.Fatalf("serve's demo line: %q", demoLine)
	}
	if out, err := demo(); err == nil || !strings.Contains(out+err.Error(), "in use by a running `omnify serve`") {
		t.Fatalf("omnify demo beside serve: %v %q", err, out)
	}
	if logIn(t, base, first) {
		t.Fatal("the first password still logs in")
	}
	if !logIn(t, base, second) {
		t.Fatal("the second password does not log in")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v\n%s", err, serveErr.String())
	}

	db, err := mongodb.Open(context.Background(), mongodb.Options{Database: "omnify", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	for coll, want := range map[string]int64{"organizations": 1, "users": 1} {
		if n, err := db.Database.Collection(coll).CountDocuments(context.Background(), bson.D{}); err != nil || n != want {
			t.Fatalf("%s: %d, %v; want %d", coll, n, err, want)
		}
	}
}

// logIn reports whether the demo user logs in with password at the
// GraphQL endpoint url.
func logIn(t *testing.T, url, password string) bool {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"query":     `mutation($i: LogInInput!) { logIn(input: $i) { viewer { role } } }`,
		"variables": map[string]any{"i": map[string]any{"email": "demo@omnify.example", "password": password}},
	})
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data *struct {
			LogIn *struct{ Viewer struct{ Role string } }
		}
		Errors []struct{ Message string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return len(out.Errors) == 0 && out.Data != nil && out.Data.LogIn != nil && out.Data.LogIn.Viewer.Role == "OWNER"
}
