package mongodb_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

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
