package mongodb_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/omnify/bff/internal/mongodb"
)

func TestEmbeddedDataSurvivesARestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func() *mongodb.DB {
		t.Helper()
		db, err := mongodb.Open(ctx, mongodb.Options{DataDir: dir, Database: "omnify"})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		if db.Embedded == nil {
			t.Fatal("no embedded database started without a URI")
		}
		return db
	}

	first := open()
	if _, err := first.Database.Collection("notes").InsertOne(ctx, bson.M{"_id": "n1", "text": "kept"}); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}

	second := open()
	defer second.Close(ctx)
	var got struct{ Text string }
	if err := second.Database.Collection("notes").FindOne(ctx, bson.M{"_id": "n1"}).Decode(&got); err != nil {
		t.Fatalf("find after restart: %v", err)
	}
	if got.Text != "kept" {
		t.Fatalf("text = %q", got.Text)
	}
}

func TestUnreachableServerFailsStartupClearly(t *testing.T) {
	_, err := mongodb.Open(context.Background(), mongodb.Options{
		URI:            "mongodb://127.0.0.1:1/?directConnection=true",
		Database:       "omnify",
		ConnectTimeout: 300 * time.Millisecond,
	})
	if err == nil || !strings.Contains(err.Error(), "MONGODB_URI") {
		t.Fatalf("err = %v, want an error naming MONGODB_URI", err)
	}
}

func TestCommandCounter(t *testing.T) {
	ctx := context.Background()
	counter := mongodb.NewCommandCounter("counted")
	db, err := mongodb.Open(ctx, mongodb.Options{DataDir: t.TempDir(), Database: "counted", Monitor: counter.Monitor()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	counter.Reset()

	coll := db.Database.Collection("things")
	if _, err := coll.InsertMany(ctx, []any{bson.M{"n": 1}, bson.M{"n": 2}}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := coll.FindOne(ctx, bson.M{"n": 1}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	_ = db.Client.Database("other").Collection("x").FindOne(ctx, bson.M{}).Err()
	if err := db.Ping(ctx); err != nil {
		t.Fatal(err)
	}

	if got := counter.Count("insert"); got != 1 {
		t.Errorf("insert = %d, want 1 (one InsertMany)", got)
	}
	if got := counter.Count("find"); got != 3 {
		t.Errorf("find = %d, want 3 (other database and pings not counted)", got)
	}
	if got := counter.Count(); got != 4 {
		t.Errorf("total = %d, want 4", got)
	}
	counter.Reset()
	if got := counter.Count(); got != 0 {
		t.Errorf("after reset = %d", got)
	}
}

func TestEnsureIndexesIsIdempotentAndEnforcesUniqueness(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for run := range 2 { // the second run is a restart on the same files
		db, err := mongodb.Open(ctx, mongodb.Options{DataDir: dir, Database: "omnify"})
		if err != nil {
			t.Fatal(err)
		}
		coll := db.Database.Collection("people")
		err = mongodb.EnsureIndexes(ctx, coll,
			mongodb.Index{Name: "email_unique", Keys: bson.D{{Key: "email", Value: 1}}, Unique: true},
			mongodb.Index{Name: "org", Keys: bson.D{{Key: "org", Value: 1}, {Key: "at", Value: 1}}},
			mongodb.Index{Name: "at_ttl", Keys: bson.D{{Key: "at", Value: 1}}, TTL: 60},
		)
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		_, err = coll.InsertOne(ctx, bson.M{"email": "a@example.com", "run": run})
		if run == 1 && !mongo.IsDuplicateKeyError(err) {
			t.Fatalf("second insert of one email: %v, want a duplicate key error", err)
		}
		if err := db.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLockSerializesReadModifyWrite(t *testing.T) {
	ctx := context.Background()
	db, err := mongodb.Open(ctx, mongodb.Options{DataDir: t.TempDir(), Database: "omnify"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	locks, counters := db.Database.Collection("locks"), db.Database.Collection("counters")
	if _, err := counters.InsertOne(ctx, bson.M{"_id": "c", "n": 0}); err != nil {
		t.Fatal(err)
	}

	const workers, rounds = 4, 5
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				release, err := mongodb.Lock(ctx, locks, "counter", 10*time.Second, 30*time.Second)
				if err != nil {
					t.Error(err)
					return
				}
				// Read, then write what was read plus one: lost updates show
				// up as a final count below workers*rounds.
				var doc struct{ N int }
				_ = counters.FindOne(ctx, bson.M{"_id": "c"}).Decode(&doc)
				_, _ = counters.UpdateOne(ctx, bson.M{"_id": "c"}, bson.M{"$set": bson.M{"n": doc.N + 1}})
				release()
			}
		}()
	}
	wg.Wait()
	var doc struct{ N int }
	_ = counters.FindOne(ctx, bson.M{"_id": "c"}).Decode(&doc)
	if doc.N != workers*rounds {
		t.Fatalf("count %d, want %d", doc.N, workers*rounds)
	}

	// A lock whose holder died is taken over after it expires.
	if _, err := mongodb.Lock(ctx, locks, "abandoned", time.Millisecond, time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	release, err := mongodb.Lock(ctx, locks, "abandoned", time.Second, 5*time.Second)
	if err != nil {
		t.Fatalf("expired lock not taken over: %v", err)
	}
	release()
	// A held lock makes others wait, then give up.
	hold, _ := mongodb.Lock(ctx, locks, "held", time.Minute, time.Second)
	if _, err := mongodb.Lock(ctx, locks, "held", time.Minute, 50*time.Millisecond); !errors.Is(err, mongodb.ErrLocked) {
		t.Fatalf("second holder: %v", err)
	}
	hold()
}
