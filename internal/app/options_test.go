package app

import (
	"log/slog"
	"testing"
	"time"

	"github.com/omnify/bff/internal/config"
	"github.com/omnify/bff/internal/mongodb"
)

// TestMongoOptionsCarryTheConfiguration checks that every database setting
// reaches the driver, for the server and for `omnify legal publish` alike
// (the command used to drop OMNIFY_MONGODB_OP_TIMEOUT).
func TestMongoOptionsCarryTheConfiguration(t *testing.T) {
	cfg := config.Config{
		MongoURI:            "mongodb://db.example.com:27017",
		MongoDatabase:       "omnify_test",
		DataDir:             "/var/lib/omnify",
		MongoConnectTimeout: 7 * time.Second,
		MongoOpTimeout:      3 * time.Second,
	}
	logger := slog.New(slog.DiscardHandler)
	got := mongoOptions(cfg, logger, "omnify-legal")
	want := mongodb.Options{
		URI: cfg.MongoURI, Database: cfg.MongoDatabase, DataDir: cfg.DataDir,
		ConnectTimeout: 7 * time.Second, OpTimeout: 3 * time.Second, Logger: logger, AppName: "omnify-legal",
	}
	if got != want {
		t.Fatalf("options %+v, want %+v", got, want)
	}
}
