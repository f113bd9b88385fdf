package legal

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// A list of current versions asked for by many callers at once is read
// once, and served until its time is up.
func TestCurrentCacheReadsOnceForConcurrentCallers(t *testing.T) {
	var reads atomic.Int32
	release := make(chan struct{})
	docs := []Document{{ID: bson.NewObjectID(), Kind: TermsOfService, Version: 1}}
	c := newCurrentCache(time.Hour, func(context.Context) ([]Document, error) {
		reads.Add(1)
		<-release
		return docs, nil
	})
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			got, fp, err := c.get(context.Background())
			if err != nil || len(got) != 1 || fp != docs[0].ID.Hex() {
				t.Errorf("get: %v %q %v", got, fp, err)
			}
		})
	}
	time.Sleep(10 * time.Millisecond) // let the callers queue behind the first read
	close(release)
	wg.Wait()
	if _, _, err := c.get(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := reads.Load(); n != 1 {
		t.Fatalf("%d reads for 33 callers, want 1", n)
	}
}

// A caller waiting for another's read gives up when its own context ends;
// a failed read is not kept, and the next caller reads again.
func TestCurrentCacheWaitersAndFailures(t *testing.T) {
	var reads atomic.Int32
	release := make(chan struct{})
	fail := errors.New("database down")
	c := newCurrentCache(time.Hour, func(context.Context) ([]Document, error) {
		if reads.Add(1) == 1 {
			<-release
			return nil, fail
		}
		return []Document{{ID: bson.NewObjectID(), Kind: PrivacyPolicy, Version: 3}}, nil
	})
	first := make(chan error, 1)
	go func() { _, _, err := c.get(context.Background()); first <- err }()
	for reads.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := c.get(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("a waiter whose context ended: %v, want context.Canceled", err)
	}
	close(release)
	if err := <-first; !errors.Is(err, fail) {
		t.Fatalf("the failed read: %v", err)
	}
	got, _, err := c.get(context.Background())
	if err != nil || len(got) != 1 || got[0].Version != 3 || reads.Load() != 2 {
		t.Fatalf("after a failure: %v %v, %d reads", got, err, reads.Load())
	}
}

// A read that began before an invalidation (this process published) is
// not kept; the list read after it is. An expired list is read again.
func TestCurrentCacheInvalidationAndExpiry(t *testing.T) {
	var version atomic.Int32
	version.Store(1)
	inRead := make(chan struct{})
	release := make(chan struct{})
	var block atomic.Bool
	c := newCurrentCache(time.Hour, func(context.Context) ([]Document, error) {
		v := int(version.Load())
		if block.Load() {
			inRead <- struct{}{}
			<-release
		}
		return []Document{{ID: bson.NewObjectID(), Kind: TermsOfService, Version: v}}, nil
	})
	block.Store(true)
	done := make(chan []Document, 1)
	go func() { got, _, _ := c.get(context.Background()); done <- got }()
	<-inRead
	version.Store(2) // published, then the publisher invalidates
	c.invalidate()
	block.Store(false)
	close(release)
	if got := <-done; got[0].Version != 1 {
		t.Fatalf("the read in progress answered %+v", got)
	}
	got, _, _ := c.get(context.Background())
	if got[0].Version != 2 {
		t.Fatalf("after the invalidation: version %d, want 2 (the stale read was kept)", got[0].Version)
	}

	short := newCurrentCache(time.Nanosecond, func(context.Context) ([]Document, error) {
		return []Document{{ID: bson.NewObjectID(), Kind: TermsOfService, Version: int(version.Add(1))}}, nil
	})
	a, _, _ := short.get(context.Background())
	b, _, _ := short.get(context.Background())
	if a[0].Version == b[0].Version {
		t.Fatalf("an expired list was served again: %+v", b)
	}
}

// A user remembered as done is done only under the versions they were done
// under, and only in that organization and role.
func TestSatisfiedCacheKeys(t *testing.T) {
	c := newSatisfiedCache(10)
	k := gateKey{user: bson.NewObjectID(), org: bson.NewObjectID(), role: "OWNER"}
	c.remember(k, "v1")
	if !c.satisfied(k, "v1") || c.satisfied(k, "v2") {
		t.Fatal("remembered under the wrong versions")
	}
	other := k
	other.role = "MEMBER"
	if c.satisfied(other, "v1") {
		t.Fatal("a role change kept the answer")
	}
	var none *satisfiedCache = newSatisfiedCache(0)
	none.remember(k, "v1")
	if none.satisfied(k, "v1") {
		t.Fatal("a cache of no entries remembered")
	}
}
