package app_test

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/app/apptest"
	"github.com/omnify/bff/internal/config"
	"github.com/omnify/bff/internal/integrations/platform/platformtest"
)

// startChild starts this test binary as a separate Omnify process with env
// added to its environment, and stops it (SIGTERM) when the test ends.
func startChild(t *testing.T, env ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), childEnv+"=1"), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr apptest.SyncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("child process: %v\n%s", err, stderr.String())
			}
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("child process did not stop on SIGTERM\n%s", stderr.String())
		}
		if t.Failed() {
			t.Logf("child log:\n%s", stderr.String())
		}
	})
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "ready ") {
				ready <- true
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("child process exited before it was ready\n%s", stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("child process not ready\n%s", stderr.String())
	}
}

// TestTwoWorkerProcessesClaimEachRunOnce runs two worker processes on one
// standalone database server (the package's FerretDB, which both reach over
// TCP) and queues many sync runs at once: each run must be executed by
// exactly one of them, which the platforms see as exactly one run's worth
// of requests per run.
func TestTwoWorkerProcessesClaimEachRunOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two processes")
	}
	p := newPlatforms(t)
	urls := p.fake.URLs()
	name := dbs.DatabaseName(t)
	key := []byte("0123456789abcdef0123456789abcdef")
	// No bus joins the processes: the API process keeps no cache, so that
	// it reads what the workers write.
	api := apptest.Start(t, dbs, func(c *config.Config) {
		c.Role, c.MongoDatabase, c.SecretKey, c.CacheMaxBytes = config.RoleAPI, name, key, 0
		configurePlatforms(p.fake)(c)
	})

	const orgs = 8
	var all []account
	for i := range orgs {
		a := signUp(t, api, fmt.Sprintf("owner%d@example.com", i), fmt.Sprintf("Store %d", i))
		for _, c := range []struct{ platform, key, shop string }{
			{"TRIPLE_WHALE", twGoodKey, shop}, {"HUBSPOT", hsGoodKey, ""}, {"KLAVIYO", klGoodKey, ""},
		} {
			if r := connect(t, a.c, c.platform, c.key, c.shop); len(r.Errors) != 0 {
				t.Fatalf("connect %s: %v", c.platform, r.Errors)
			}
		}
		all = append(all, a)
	}
	counts := func() [3]int {
		f := p.fake
		return [3]int{f.TotalOf(platformtest.TripleWhale), f.TotalOf(platformtest.HubSpot), f.TotalOf(platformtest.Klaviyo)}
	}
	connected := counts()

	childEnvVars := []string{
		"MONGODB_URI=" + dbs.URI(), "OMNIFY_MONGODB_DATABASE=" + name, "OMNIFY_ROLE=worker",
		"OMNIFY_HTTP_ADDR=127.0.0.1:0", "OMNIFY_DATA_DIR=" + t.TempDir(), "OMNIFY_SYNC_INTERVAL=24h",
		"OMNIFY_SECRET_KEY=" + base64.StdEncoding.EncodeToString(key),
		"OMNIFY_TRIPLEWHALE_BASE_URL=" + urls.TripleWhale, "OMNIFY_HUBSPOT_BASE_URL=" + urls.HubSpot, "OMNIFY_KLAVIYO_BASE_URL=" + urls.Klaviyo,
		"OMNIFY_LOG_LEVEL=warn", "OMNIFY_KLAVIYO_REPORT_LIMITS=" + testReportLimitsEnv,
	}

	// Calibrate: one organization's three syncs, run by one worker, tell
	// how many platform requests one run of each costs.
	startChild(t, childEnvVars...)
	waitSynced := func(a account) {
		t.Helper()
		// A generous bound, only so that a stuck run fails instead of
		// hanging.
		deadline := time.Now().Add(4 * time.Minute)
		for !func() bool {
			for platform, in := range listIntegrations(t, a.c) {
				if len(in.Syncs.Nodes) == 0 {
					return false
				}
				switch s := in.Syncs.Nodes[0]; s.Status {
				case "FAILED":
					t.Fatalf("%s sync failed: %v", platform, *s.Error)
				case "SUCCEEDED":
				default:
					return false
				}
			}
			return true
		}() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for every sync of %s to end", a.email)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	// Connecting made every integration due: the workers' polls queue
	// their first syncs. (Asking for a sync as well would add a second
	// run wherever the first had already finished.)
	waitSynced(all[0])
	calibrated := counts()
	var perOrg [3]int
	for i := range perOrg {
		perOrg[i] = calibrated[i] - connected[i]
		if perOrg[i] == 0 {
			t.Fatalf("platform %d saw no request during a sync", i)
		}
	}

	// The race: a second worker process joins while the other
	// organizations' first syncs are queued.
	startChild(t, childEnvVars...)
	for _, o := range all[1:] {
		waitSynced(o)
	}

	// Each platform's requests per organization sync are the same for
	// every organization (same data, first sync of each).
	var got, want [3]int
	for i, n := range counts() {
		got[i], want[i] = n-calibrated[i], perOrg[i]*(orgs-1)
	}
	// Triple Whale's requests depend on the days a sync covers, which the
	// clock moves: they may be fewer, never more.
	if got[0] > want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("platform requests for %d organizations' syncs = %v (Triple Whale, HubSpot, Klaviyo), want %v: a run was executed more than once", orgs-1, got, want)
	}

	// Both processes took part, and each run was started once.
	runs := api.Database(t).Collection("integration_sync_runs")
	cur, err := runs.Find(t.Context(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var docs []struct {
		Status     string `bson:"status"`
		LeaseOwner string `bson:"leaseOwner"`
		Attempts   int    `bson:"attempts"`
	}
	if err := cur.All(t.Context(), &docs); err != nil {
		t.Fatal(err)
	}
	owners := map[string]int{}
	for _, d := range docs {
		if d.Status != "SUCCEEDED" || d.Attempts != 1 {
			t.Errorf("run %+v, want SUCCEEDED after one attempt", d)
		}
		owners[d.LeaseOwner]++
	}
	if len(docs) != orgs*3 || len(owners) != 2 {
		t.Fatalf("%d runs by %d workers (%v), want %d runs shared by both", len(docs), len(owners), owners, orgs*3)
	}
}
