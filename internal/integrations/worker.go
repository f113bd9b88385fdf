package integrations

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/integrations/platform"
	"github.com/omnify/bff/internal/mongodb"
)

// Worker defaults.
const (
	DefaultInterval     = time.Hour
	DefaultLeaseTTL     = 2 * time.Minute
	DefaultPollInterval = 2 * time.Second
	// MaxRunAttempts is how many times a run is started before a run whose
	// workers keep dying on it is given up as FAILED.
	MaxRunAttempts = 3
	// scheduleBatch bounds the integrations one Schedule call queues.
	scheduleBatch = 100
)

// WorkerOptions tune a Worker; zero values take the defaults in brackets.
type WorkerOptions struct {
	// Clients reach the platforms during syncs [the real clients].
	Clients Clients
	// Interval is how old the last successful sync may get before the
	// schedule queues another; after a failed scheduled sync, the next try
	// is also an Interval later [DefaultInterval].
	Interval time.Duration
	// LeaseTTL is how long a claimed run stays this worker's without a
	// renewal; a run whose worker died is taken over after it
	// [DefaultLeaseTTL]. The lease is renewed every LeaseTTL/3 and before
	// each batch of records is written.
	LeaseTTL time.Duration
	// PollInterval is the pause between looking for work when there was
	// none [DefaultPollInterval].
	PollInterval time.Duration
	// Owner names this worker in leases; it must differ between replicas
	// [host name, process id and a random suffix].
	Owner string
	// Now is the clock [time.Now].
	Now func() time.Time
	// Logger receives the outcome of each run [discarded].
	Logger *slog.Logger
	// ReportLimits is the budget of Klaviyo's reporting endpoints per
	// account; zero fields take DefaultReportLimits' [Klaviyo's limits].
	ReportLimits ReportLimits
}

// Worker executes sync runs: it queues scheduled runs, claims queued runs
// (or runs whose worker died) under a lease, pulls the platform's data and
// records the outcome. Any number of workers may run against one database.
type Worker struct {
	svc   *Service
	store *Store
	opts  WorkerOptions
}

// NewWorker returns a Worker that syncs through svc's store and sealer, and
// reports progress through svc's Notify.
func NewWorker(svc *Service, opts WorkerOptions) *Worker {
	if opts.Clients.TripleWhale == nil || opts.Clients.HubSpot == nil || opts.Clients.Klaviyo == nil {
		opts.Clients = NewClients(BaseURLs{}, platform.Options{})
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = DefaultLeaseTTL
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.Owner == "" {
		opts.Owner = mongodb.ProcessOwner()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.ReportLimits = opts.ReportLimits.withDefaults()
	return &Worker{svc: svc, store: svc.store, opts: opts}
}

// now returns the current time in UTC at the precision BSON stores.
func (w *Worker) now() time.Time { return w.opts.Now().UTC().Truncate(time.Millisecond) }

// Run schedules and executes runs until ctx is cancelled, then returns nil.
// A run in progress at cancellation is put back in the queue for another
// worker. Database failures are logged and retried at the next poll.
func (w *Worker) Run(ctx context.Context) error {
	for {
		if _, err := w.Schedule(ctx); err != nil && ctx.Err() == nil {
			w.opts.Logger.Error("integrations: schedule syncs", "err", err)
		}
		for ctx.Err() == nil {
			ran, err := w.RunOnce(ctx)
			if err != nil {
				if ctx.Err() == nil {
					w.opts.Logger.Error("integrations: execute sync", "err", err)
				}
				break
			}
			if !ran {
				break
			}
		}
		if platform.Sleep(ctx, w.opts.PollInterval) != nil {
			return nil
		}
	}
}

// Schedule queues a run (trigger "schedule") for every connected
// integration whose next sync is due, whose key was not refused and that
// has no active run, and returns how many it queued. Several workers may
// call it at once: each due integration is queued by exactly one. It also
// ends runs abandoned MaxRunAttempts times and clears run pointers left
// behind by a crash.
func (w *Worker) Schedule(ctx context.Context) (int, error) {
	if err := w.failAbandoned(ctx); err != nil {
		return 0, err
	}
	now := w.now()
	due, err := w.store.dueIntegrations(ctx, now, scheduleBatch)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range due {
		if !d.ActiveRunID.IsZero() {
			// Normally a long sync in progress; a pointer whose run is gone
			// or over is cleared so the schedule is not blocked forever.
			r, err := w.store.run(ctx, d.OrganizationID, d.ActiveRunID)
			if err != nil {
				return n, err
			}
			if r != nil && r.Status.Active() {
				continue
			}
			if err := w.svc.releasePointer(ctx, d.OrganizationID, d.Platform, d.ActiveRunID, r, now); err != nil {
				return n, err
			}
		}
		_, created, err := w.svc.enqueue(ctx, d.OrganizationID, d.Platform, TriggerSchedule, bson.ObjectID{}, w.opts.Interval, w.now)
		if err != nil {
			return n, err
		}
		if created {
			n++
		}
	}
	return n, nil
}

// RunOnce claims one run, QUEUED or RUNNING with an expired lease, oldest
// first, and executes it; it reports whether there was one. A run that
// fails is recorded as FAILED and is not an error of RunOnce; the error is
// for failures of the database.
func (w *Worker) RunOnce(ctx context.Context) (bool, error) {
	run, err := w.claim(ctx)
	if err != nil || run == nil {
		return false, err
	}
	doc, err := w.acquire(ctx, run)
	if err != nil {
		return true, err
	}
	if doc == nil {
		return true, nil
	}
	w.svc.notify(ctx, doc, &run.SyncRun, w.now())
	w.execute(ctx, run, doc)
	return true, nil
}

// claimCandidates is how many claimable runs claim looks at in one go.
const claimCandidates = 8

// claim takes the oldest QUEUED run, or a RUNNING run whose lease expired,
// for this worker; of several workers, exactly one gets each run.
func (w *Worker) claim(ctx context.Context) (*runDoc, error) {
	now := w.now()
	return w.store.claimRun(ctx, w.opts.Owner, now, now.Add(w.opts.LeaseTTL), MaxRunAttempts, claimCandidates)
}

// acquire takes the integration's lease for run and marks it SYNCING. It
// fails while another run holds a live lease on the same integration, or
// when the integration was disconnected or reconnected since the run was
// queued; the run then ends FAILED and acquire returns nil.
func (w *Worker) acquire(ctx context.Context, run *runDoc) (*integrationDoc, error) {
	now := w.now()
	doc, err := w.store.acquireLease(ctx, run, w.opts.Owner, now, now.Add(w.opts.LeaseTTL))
	if err != nil || doc != nil {
		return doc, err
	}
	cur, err := w.store.integration(ctx, run.OrganizationID, run.Platform)
	if err != nil {
		return nil, err
	}
	msg := "Another sync of this integration was still running."
	switch {
	case !cur.connected():
		msg = "The integration was disconnected before the sync started."
	case cur.ConnectionID != run.ConnectionID:
		msg = "The integration was reconnected before the sync started; the next sync uses the new key."
	}
	return nil, w.end(ctx, run, outcome{message: msg})
}

// outcome is how a run ended.
type outcome struct {
	// message is empty for success, else the reason for the shop owner.
	message string
	// rejected marks a refused key: the integration waits for a reconnect.
	rejected bool
	records  int
}

// end records a run's outcome if this worker still holds its lease: the
// run SUCCEEDED or FAILED, then the integration's status, last error and
// (on success) last sync time, releasing its lease and active run pointer.
func (w *Worker) end(ctx context.Context, run *runDoc, o outcome) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	now := w.now()
	status := SyncSucceeded
	if o.message != "" {
		status = SyncFailed
	}
	ended, err := w.store.finishRun(ctx, run, w.opts.Owner, status, now, o)
	if err != nil {
		return err
	}
	if ended == nil {
		// Another worker took the run over, or a disconnect ended it.
		w.opts.Logger.Warn("integrations: sync run lost its lease before it ended", "run", run.ID.Hex(), "platform", run.Platform)
		return nil
	}

	doc, err := w.store.endRun(ctx, run, runEnd{at: now, lastError: o.message, rejected: o.rejected, next: now.Add(w.opts.Interval)})
	if err != nil {
		return err
	}
	if doc == nil {
		// The integration moved on (reconnected, disconnected): release
		// only what this run still holds, without touching its status.
		if err := w.store.releaseRun(ctx, run); err != nil {
			return err
		}
		doc, err = w.store.integration(ctx, run.OrganizationID, run.Platform)
		if err != nil {
			return err
		}
	}
	// Older runs go before the end is notified, so that what a reader
	// caches after the event is the kept list.
	pruneErr := w.store.pruneRuns(ctx, run.OrganizationID, run.Platform, KeptRunsPerPlatform)
	if doc != nil {
		w.svc.notify(ctx, doc, &ended.SyncRun, now)
	}
	logArgs := []any{"run", run.ID.Hex(), "organization", run.OrganizationID.Hex(), "platform", run.Platform,
		"trigger", run.Trigger, "records", ended.RecordsWritten}
	if o.message == "" {
		w.opts.Logger.Info("integrations: sync succeeded", logArgs...)
	} else {
		w.opts.Logger.Warn("integrations: sync failed", append(logArgs, "reason", o.message)...)
	}
	return pruneErr
}

// requeue puts a run this worker is abandoning (the process is shutting
// down) back in the queue, so another worker starts it at once instead of
// waiting for the lease to expire.
func (w *Worker) requeue(ctx context.Context, run *runDoc, records int) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	now := w.now()
	back, err := w.store.requeueRun(ctx, run, w.opts.Owner, records)
	if err != nil || back == nil {
		return
	}
	status := StatusConnected
	if cur, err := w.store.integration(ctx, run.OrganizationID, run.Platform); err == nil && cur != nil && cur.LastError != "" {
		status = StatusError
	}
	doc, err := w.store.returnLease(ctx, run, w.opts.Owner, status, now)
	if err == nil && doc != nil {
		w.svc.notify(ctx, doc, &back.SyncRun, now)
	}
}

// failAbandoned ends as FAILED the runs whose lease expired after
// MaxRunAttempts starts: something in them stops every worker that tries.
func (w *Worker) failAbandoned(ctx context.Context) error {
	now := w.now()
	stuck, err := w.store.abandonedRuns(ctx, now, MaxRunAttempts)
	if err != nil {
		return err
	}
	for _, r := range stuck {
		msg := fmt.Sprintf("The sync stopped without finishing %d times; Omnify gave up on this run. The next scheduled sync tries again.", MaxRunAttempts)
		ended, err := w.store.giveUpRun(ctx, r.ID, now, msg)
		if err != nil {
			return err
		}
		if ended == nil {
			continue
		}
		if ended.RecordsWritten > 0 {
			// What the dead workers wrote reaches the read models before the end is told.
			if err := w.svc.refreshRollup(ctx, r.OrganizationID); err != nil {
				w.opts.Logger.Error("integrations: rebuild the read models after a run given up", "run", r.ID.Hex(), "err", err)
			}
		}
		doc, err := w.store.endRun(ctx, &r, runEnd{at: now, lastError: msg})
		if err != nil {
			return err
		}
		if doc == nil {
			if err := w.store.releaseRun(ctx, &r); err != nil {
				return err
			}
			continue
		}
		w.svc.notify(ctx, doc, &ended.SyncRun, now)
	}
	return nil
}

// errLeaseLost stops a sync whose run another worker took over, or that a
// disconnect ended.
const errLeaseLost = constError("integrations: the sync run's lease was lost")

// renew extends the run's and the integration's lease and records progress;
// it returns errLeaseLost when either is no longer this worker's.
func (w *Worker) renew(ctx context.Context, run *runDoc, records int) error {
	exp := w.now().Add(w.opts.LeaseTTL)
	r, err := w.store.renewRun(ctx, run, w.opts.Owner, exp, records)
	if err != nil {
		return err
	}
	if r == nil {
		return errLeaseLost
	}
	held, err := w.store.renewLease(ctx, run, w.opts.Owner, exp)
	if err != nil {
		return err
	}
	if !held {
		return errLeaseLost
	}
	return nil
}

// execute runs the sync while a goroutine renews the lease every
// LeaseTTL/3, and records the outcome.
func (w *Worker) execute(ctx context.Context, run *runDoc, doc *integrationDoc) {
	var key []byte
	if !doc.Demo { // a demo connection has no key and calls no platform
		var err error
		key, err = w.svc.opts.Sealer.Open(doc.Credential, sealContext(doc.OrganizationID, doc.Platform))
		if err != nil {
			w.opts.Logger.Error("integrations: open stored credential", "run", run.ID.Hex(), "platform", run.Platform, "err", err)
			w.logEnd(w.end(ctx, run, outcome{message: "Omnify could not read the stored key. Reconnect the integration."}))
			return
		}
		if !w.svc.opts.Sealer.IsCurrent(doc.Credential) {
			w.reseal(ctx, doc, key)
		}
	}

	work, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	job := &syncJob{w: w, run: run, doc: doc, key: string(key), today: utcDay(w.now())}
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(w.opts.LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-work.Done():
				return
			case <-t.C:
				err := w.renew(work, run, int(job.records.Load()))
				if errors.Is(err, errLeaseLost) {
					cancel(err)
					return
				}
				if err != nil && work.Err() == nil {
					// The lease holds until it expires; try again at the next tick.
					w.opts.Logger.Warn("integrations: renew sync lease", "run", run.ID.Hex(), "err", err)
				}
			}
		}
	}()
	err := job.sync(work)
	cancel(nil)
	<-renewed

	records := int(job.records.Load())
	if err == nil || records > 0 && !errors.Is(err, errLeaseLost) && !errors.Is(context.Cause(work), errLeaseLost) && ctx.Err() == nil {
		// The read models follow the records before the run's end is
		// published, so a reader who sees the end sees the new figures.
		if rerr := w.refreshRollup(ctx, run); rerr != nil {
			w.opts.Logger.Error("integrations: rebuild the read models after a sync", "run", run.ID.Hex(), "err", rerr)
			if err == nil {
				err = storeError{rerr}
			}
		}
	}
	switch {
	case err == nil:
		w.logEnd(w.end(ctx, run, outcome{records: records}))
	case errors.Is(err, errLeaseLost) || errors.Is(context.Cause(work), errLeaseLost):
		w.opts.Logger.Warn("integrations: sync stopped: its lease was lost", "run", run.ID.Hex(), "platform", run.Platform)
	case ctx.Err() != nil:
		w.requeue(ctx, run, records)
	default:
		msg, rejected, internal := failure(run.Platform, err)
		if internal {
			w.opts.Logger.Error("integrations: sync failed inside Omnify", "run", run.ID.Hex(), "platform", run.Platform, "err", err)
		}
		msg = redactKey(msg, job.key)
		w.logEnd(w.end(ctx, run, outcome{message: msg, rejected: rejected, records: records}))
	}
}

// refreshRollup rebuilds the read models of the run's organization.
func (w *Worker) refreshRollup(ctx context.Context, run *runDoc) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return w.svc.refreshRollup(ctx, run.OrganizationID)
}

// logEnd logs a failure to record a run's outcome; the run's lease then
// expires and another worker executes it again.
func (w *Worker) logEnd(err error) {
	if err != nil {
		w.opts.Logger.Error("integrations: record sync outcome", "err", err)
	}
}

// reseal seals the credential again with the current key, so that an
// older key can be retired once every credential was resealed. It is best
// effort: a failure leaves the old sealing, which still opens.
func (w *Worker) reseal(ctx context.Context, doc *integrationDoc, key []byte) {
	sealed, err := w.svc.opts.Sealer.Seal(key, sealContext(doc.OrganizationID, doc.Platform))
	if err != nil {
		return
	}
	if err := w.store.replaceCredential(ctx, doc.OrganizationID, doc.Platform, doc.Credential, sealed); err != nil {
		w.opts.Logger.Warn("integrations: reseal credential with the current key", "platform", doc.Platform, "err", err)
	}
}

// syncJob is one execution of a run.
type syncJob struct {
	w     *Worker
	run   *runDoc
	doc   *integrationDoc
	key   string
	today time.Time
	// records counts what was written; the renewal goroutine reads it.
	records atomic.Int64
}
