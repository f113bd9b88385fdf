package agents

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/mongodb"
)

// Worker defaults.
const (
	// DefaultWorkers is how many executions one process runs at once.
	DefaultWorkers = 4
	// DefaultPollInterval is the pause between looks for work when there
	// was none.
	DefaultPollInterval = time.Second
	// MaxAttempts is how many times an execution is started: a lease that
	// expires sends it back to the queue until then, and fails it after.
	MaxAttempts = 2
	// claimCandidates is how many queued executions one claim looks at.
	claimCandidates = 8
)

// WorkerOptions tune a Worker; zero values take the defaults in brackets.
type WorkerOptions struct {
	// Workers is how many goroutines claim and run executions
	// [DefaultWorkers].
	Workers int
	// PollInterval is the pause between looks for work when there was
	// none [DefaultPollInterval].
	PollInterval time.Duration
	// Owner names this process in leases; it must differ between
	// processes [host name, process id and a random suffix].
	Owner string
	// Logger receives the outcome of each execution [the service's].
	Logger *slog.Logger
}

// Worker claims queued executions under a lease, renews the lease while it
// runs them, and ends them. Any number of workers, in any number of
// processes, may share one database.
type Worker struct {
	svc   *Service
	store *Store
	opts  WorkerOptions
}

// NewWorker returns a Worker that runs svc's agents with svc's analyzers
// and source. The lease lasts svc's LeaseTTL.
func NewWorker(svc *Service, opts WorkerOptions) *Worker {
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.Owner == "" {
		opts.Owner = mongodb.ProcessOwner()
	}
	if opts.Logger == nil {
		opts.Logger = svc.opts.Logger
	}
	return &Worker{svc: svc, store: svc.store, opts: opts}
}

// Run runs Workers goroutines that sweep expired leases and claim and
// execute executions until ctx ends; then it returns nil. An execution in
// progress then goes back to the queue.
func (w *Worker) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for i := range w.opts.Workers {
		wg.Go(func() { w.loop(ctx, i == 0) })
	}
	wg.Wait()
	return nil
}

func (w *Worker) loop(ctx context.Context, sweeper bool) {
	for ctx.Err() == nil {
		if sweeper {
			if _, err := w.Sweep(ctx); err != nil && ctx.Err() == nil {
				w.opts.Logger.Error("agents: sweep expired leases", "err", err)
			}
		}
		ran, err := w.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			w.opts.Logger.Error("agents: run execution", "err", err)
		}
		if ran && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
		case <-time.After(w.opts.PollInterval):
		}
	}
}

// RunOnce claims one QUEUED execution, oldest first, and runs it to its
// end; it reports whether there was one. A failed execution is not an
// error of RunOnce; the error is for failures of the database.
func (w *Worker) RunOnce(ctx context.Context) (bool, error) {
	doc, head, err := w.claim(ctx)
	if err != nil || doc == nil {
		return false, err
	}
	return true, w.execute(ctx, doc, head)
}

// claim starts a QUEUED execution for this worker by appending STARTED;
// of several workers, the one whose event is stored claimed it. An
// execution whose cancel was asked for is CANCELLED instead. It returns
// nil when there is nothing to claim.
func (w *Worker) claim(ctx context.Context) (*executionDoc, eventDoc, error) {
	ids, err := w.store.queuedIDs(ctx, claimCandidates)
	if err != nil {
		return nil, eventDoc{}, err
	}
	for _, id := range ids {
		doc, err := w.store.execution(ctx, id)
		if err != nil {
			return nil, eventDoc{}, err
		}
		if doc == nil || doc.Status != ExecutionQueued {
			continue
		}
		queued := func(h eventDoc) bool { return h.Type == EventQueued }
		if doc.CancelRequested {
			if _, _, err := w.svc.append(ctx, doc, eventDoc{Type: EventCancelled, Message: "Cancelled."}, queued); err != nil {
				return nil, eventDoc{}, err
			}
			continue
		}
		won, head, err := w.svc.append(ctx, doc, eventDoc{Type: EventStarted, Message: "Started.", Owner: w.opts.Owner}, queued)
		if err != nil {
			return nil, eventDoc{}, err
		}
		if won {
			return doc, head, nil
		}
	}
	return nil, eventDoc{}, nil
}

// Sweep ends the leases that expired: an execution whose worker stopped
// renewing goes back to the queue while it was started fewer than
// MaxAttempts times, and FAILS as interrupted after (or is CANCELLED, if a
// cancel was asked for). It returns how many executions it moved. Several
// processes may sweep at once: each move is made by one.
func (w *Worker) Sweep(ctx context.Context) (int, error) {
	now := w.svc.now()
	ids, err := w.store.expiredIDs(ctx, now, 100)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		doc, err := w.store.execution(ctx, id)
		if err != nil {
			return n, err
		}
		if doc == nil || doc.Status != ExecutionRunning || doc.LeaseExpiresAt == nil || !doc.LeaseExpiresAt.Before(now) {
			continue
		}
		ev := eventDoc{Type: EventQueued, Message: "The worker running this execution stopped; it was queued again."}
		switch {
		case doc.CancelRequested:
			ev = eventDoc{Type: EventCancelled, Message: "Cancelled."}
		case doc.Attempt >= MaxAttempts:
			ev = eventDoc{Type: EventFailed, Message: fmt.Sprintf("The execution was interrupted %d times before it finished; run the agent again.", doc.Attempt)}
		}
		attempt := doc.Attempt
		won, _, err := w.svc.append(ctx, doc, ev, func(h eventDoc) bool {
			return h.Attempt == attempt && h.Type != EventQueued
		})
		if err != nil {
			return n, err
		}
		if won {
			n++
			w.opts.Logger.Warn("agents: execution lease expired", "execution", id.Hex(), "attempt", attempt, "now", ev.Type)
		}
	}
	return n, nil
}

// errLeaseLost stops an execution another process took over or ended.
const errLeaseLost = constError("agents: the execution's lease was lost")

// errCancelled stops an execution whose cancel was asked for.
const errCancelled = constError("agents: the execution was cancelled")

// run is one execution by this worker.
type run struct {
	w       *Worker
	doc     *executionDoc
	head    eventDoc
	attempt int
	mu      sync.Mutex // guards head: the renewal goroutine does not write events
	// external is set for an agent the agent service runs: its end is
	// written by the hook, and the worker then finds its lease gone.
	external bool
}

// mine approves a head this worker may write after: its own attempt,
// neither requeued nor ended.
func (r *run) mine(h eventDoc) bool { return h.Attempt == r.attempt && h.Type != EventQueued }

// emit appends an event; errLeaseLost when the execution is no longer this
// worker's.
func (r *run) emit(ctx context.Context, ev eventDoc) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	won, head, err := r.w.svc.appendAfter(ctx, r.doc, r.head, ev, r.mine)
	r.head = head
	if err != nil {
		return err
	}
	if !won {
		return errLeaseLost
	}
	return nil
}

// step starts a step: it checks for a cancel first.
func (r *run) step(ctx context.Context, msg string) error {
	cur, err := r.w.store.execution(ctx, r.doc.ID)
	if err != nil {
		return err
	}
	if cur != nil && cur.CancelRequested {
		return errCancelled
	}
	return r.emit(ctx, eventDoc{Type: EventStepStarted, Message: msg})
}

// execute runs a claimed execution while a goroutine renews its lease, and
// writes its end.
func (w *Worker) execute(ctx context.Context, doc *executionDoc, head eventDoc) error {
	r := &run{w: w, doc: doc, head: head, attempt: head.Attempt}
	id := doc.ID // emit updates doc; the renewal reads only this
	work, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(w.svc.opts.LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-work.Done():
				return
			case <-t.C:
				cur, err := w.store.renewLease(work, id, w.opts.Owner, r.attempt, w.svc.now().Add(w.svc.opts.LeaseTTL))
				switch {
				case err != nil:
					if work.Err() == nil {
						w.opts.Logger.Warn("agents: renew lease", "execution", id.Hex(), "err", err)
					}
				case cur == nil:
					cancel(errLeaseLost)
					return
				case cur.CancelRequested:
					cancel(errCancelled)
				}
			}
		}
	}()
	result, err := r.perform(work)
	cancel(nil)
	<-renewed
	if cause := context.Cause(work); err != nil && (errors.Is(cause, errLeaseLost) || errors.Is(cause, errCancelled)) {
		err = cause
	}

	end := context.WithoutCancel(ctx)
	var final eventDoc
	switch {
	case err == nil:
		final = eventDoc{Type: EventSucceeded, Message: result.Summary, Data: reportData(result)}
	case errors.Is(err, errLeaseLost):
		if r.external {
			w.opts.Logger.Info("agents: the agent service ended the execution", "execution", doc.ID.Hex())
			return nil
		}
		w.opts.Logger.Warn("agents: execution stopped: its lease was lost", "execution", doc.ID.Hex())
		return nil
	case errors.Is(err, errCancelled):
		final = eventDoc{Type: EventCancelled, Message: "Cancelled."}
	case ctx.Err() != nil:
		// The process is stopping: back to the queue, without counting
		// the attempt, for another worker to start at once.
		final = eventDoc{Type: EventQueued, Message: "The worker stopped; the execution was queued again.", Attempt: -1}
	default:
		final = eventDoc{Type: EventFailed, Message: failureMessage(err)}
		var fail *failure
		if !errors.As(err, &fail) {
			if _, ok := apperr.As(err); !ok {
				w.opts.Logger.Error("agents: execution failed inside Omnify", "execution", doc.ID.Hex(), "agent", doc.AgentKey, "err", err)
			}
		} else {
			final.Data = fail.data
		}
	}
	if err := r.emit(end, final); err != nil && !errors.Is(err, errLeaseLost) {
		return err
	}
	w.opts.Logger.Info("agents: execution ended", "execution", doc.ID.Hex(), "agent", doc.AgentKey, "status", final.Type)
	return nil
}

// failure is an execution's failure the shop owner can act on.
type failure struct {
	msg  string
	data map[string]any
}

func (f *failure) Error() string { return f.msg }

// failureMessage is what the FAILED event says.
func failureMessage(err error) string {
	var f *failure
	if errors.As(err, &f) {
		return f.msg
	}
	if ae, ok := apperr.As(err); ok && ae.Code != apperr.Internal {
		return ae.Message
	}
	return "The analysis stopped with an error inside Omnify; try again later."
}

// perform runs the agent's steps and returns its report.
func (r *run) perform(ctx context.Context) (Report, error) {
	svc, doc := r.w.svc, r.doc
	def, err := svc.definition(ctx, doc.OrganizationID, doc.AgentKey)
	if err != nil {
		return Report{}, err
	}
	if def == nil {
		return Report{}, &failure{msg: "This agent is no longer in the catalog."}
	}
	if def.Kind == KindExternal {
		r.external = true
		return Report{}, r.performExternal(ctx)
	}
	analyzer := svc.opts.Analyzers[doc.AgentKey]
	if analyzer == nil {
		return Report{}, &failure{msg: def.Name + " cannot run on this server yet."}
	}

	if err := r.step(ctx, "Checking the connected integrations."); err != nil {
		return Report{}, err
	}
	for _, req := range def.Requires {
		ok := false
		if svc.opts.Source != nil {
			if ok, err = svc.opts.Source.Connected(ctx, doc.OrganizationID, req.Platform); err != nil {
				return Report{}, err
			}
		}
		if !ok {
			return Report{}, &failure{
				msg:  fmt.Sprintf("%s needs %s. Connect %s in Integrations, then run it again.", def.Name, req.Label, req.Label),
				data: map[string]any{"integration": req.Platform},
			}
		}
	}
	if err := r.emit(ctx, eventDoc{Type: EventStepCompleted, Message: "The integrations are connected."}); err != nil {
		return Report{}, err
	}

	if err := r.step(ctx, "Analyzing the data."); err != nil {
		return Report{}, err
	}
	report, err := analyzer.Run(ctx, doc.OrganizationID, doc.Parameters, svc.opts.Source)
	if err != nil {
		return Report{}, err
	}
	for _, f := range report.Findings {
		data := map[string]any{"severity": f.Severity, "title": f.Title, "detail": f.Detail}
		if f.Data != nil {
			data["data"] = f.Data
		}
		if err := r.emit(ctx, eventDoc{Type: EventFinding, Message: f.Title, Data: data}); err != nil {
			return Report{}, err
		}
	}
	if err := r.emit(ctx, eventDoc{Type: EventStepCompleted, Message: fmt.Sprintf("The analysis found %d findings.", len(report.Findings))}); err != nil {
		return Report{}, err
	}
	cur, err := r.w.store.execution(ctx, doc.ID)
	if err != nil {
		return Report{}, err
	}
	if cur != nil && cur.CancelRequested {
		return Report{}, errCancelled
	}
	return report, nil
}

// reportData is a report as an execution's result.
func reportData(r Report) map[string]any {
	findings := make([]any, len(r.Findings))
	for i, f := range r.Findings {
		m := map[string]any{"severity": f.Severity, "title": f.Title, "detail": f.Detail}
		if f.Data != nil {
			m["data"] = f.Data
		}
		findings[i] = m
	}
	recs := make([]any, len(r.Recommendations))
	for i, s := range r.Recommendations {
		recs[i] = s
	}
	metrics := r.Metrics
	if metrics == nil {
		metrics = map[string]any{}
	}
	return map[string]any{"summary": r.Summary, "findings": findings, "recommendations": recs, "metrics": metrics}
}
