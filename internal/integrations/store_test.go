package integrations

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// TestBulkUpsertUnderConcurrentReadsFinishes is the regression test of the
// embedded engine's bulk-write deadlock: FerretDB v1 holds one SQLite
// connection (of 100) per statement of an update command until the command
// ends, so one bulk upsert of a large page, with readers taking
// connections meanwhile, waited forever, and every later request behind it.
// Here a 1,000-record upsert runs while 20 readers keep querying the
// same collection; all of it must finish, twice over, and the second round must
// leave no more SQLite connections open than the first.
func TestBulkUpsertUnderConcurrentReadsFinishes(t *testing.T) {
	e := newEnv(t)
	dbName := e.db.Name()
	// A collection of its own, without the deals' secondary indexes: the
	// test is about the number of statements per command.
	coll := e.db.Collection("bulk_regression")
	round := func(n int) {
		t.Helper()
		// A bound far above the work, so a deadlock fails the test instead
		// of hanging it.
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
		defer cancel()
		models := make([]record, 1000)
		for i := range models {
			// New records each round: the statements are inserts, as on a
			// first sync, the page size that deadlocked.
			id := recordKey(e.org, "deal", fmt.Sprint(n), fmt.Sprint(i))
			amount := float64(i)
			models[i] = dealDoc{ID: id, OrganizationID: e.org, ExternalID: fmt.Sprint(n, "-", i),
				Name: fmt.Sprintf("Deal %d round %d", i, n), Amount: &amount, Stage: "open", UpdatedAt: time.Now().UTC()}
		}
		done := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, 21)
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					// Each reader is a client polling often, not a tight loop
					// that would starve the writer of the machine's cores.
					select {
					case <-done:
						return
					case <-time.After(20 * time.Millisecond):
					}
					// Reads by _id, as the hot reads are: each takes a
					// SQLite connection without scanning the collection.
					err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: recordKey(e.org, "deal", fmt.Sprint(n), fmt.Sprint(rand.IntN(1000)))}}).Err()
					if errors.Is(err, mongo.ErrNoDocuments) {
						err = nil
					}
					if err != nil {
						errs <- fmt.Errorf("read: %w", err)
						return
					}
				}
			}()
		}
		written, err := e.store.bulkUpsert(ctx, coll, models)
		close(done)
		wg.Wait()
		close(errs)
		if err != nil {
			t.Fatalf("round %d: bulk upsert: %v", n, err)
		}
		if written != len(models) {
			t.Fatalf("round %d: wrote %d records, want %d", n, written, len(models))
		}
		for err := range errs {
			t.Fatalf("round %d: %v", n, err)
		}
		var got dealDoc
		if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: recordKey(e.org, "deal", fmt.Sprint(n), "999")}}).Decode(&got); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("Deal 999 round %d", n); got.Name != want {
			t.Fatalf("round %d: last record %q, want %q", n, got.Name, want)
		}
	}

	round(1)
	first := dbs.OpenSQLiteFiles(dbName)
	round(2)
	after := dbs.OpenSQLiteFiles(dbName)
	t.Logf("open SQLite connections: %d after the first round, %d after the second", first, after)
	if first < 0 {
		t.Skip("this system does not list open files")
	}
	// The SQLite pool keeps idle connections open, so the count cannot fall
	// back to what it was before any work; what must hold is that the work
	// leaves the pool far from its 100 connections (the deadlock held all
	// of them) and does not keep more after the second round than the
	// readers and one bulk command could take at once.
	const most = 20 + 1 + 16
	if first > most || after > most {
		t.Fatalf("open SQLite connections: %d, then %d; want at most %d", first, after, most)
	}
}
