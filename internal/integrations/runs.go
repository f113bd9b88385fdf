package integrations

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/integrations/platform"
	"github.com/omnify/bff/internal/page"
)

// RequestSync queues a sync of the organization's integration with pl and
// returns the run; when a run is already QUEUED or RUNNING it returns that
// one instead of queuing another.
//
// Returns FORBIDDEN unless the caller is MEMBER or above (a READ API key
// may not), and BAD_USER_INPUT on field platform for an unknown or
// unconnected platform.
func (s *Service) RequestSync(ctx context.Context, p *authz.Principal, pl Platform) (SyncRun, error) {
	if err := requireWrite(p, syncRole); err != nil {
		return SyncRun{}, err
	}
	if err := checkPlatform(pl); err != nil {
		return SyncRun{}, err
	}
	run, _, err := s.enqueue(ctx, p.OrganizationID, pl, TriggerManual, p.UserID, 0, s.opts.Now)
	return run, err
}

// enqueue queues a run or returns the integration's active run; created
// says which. A scheduled run (interval > 0) is queued only when the
// integration is due, and then pushes the next due time interval ahead in
// the same write, so that of several replicas scheduling at once exactly
// one queues it; when not due, enqueue returns created false and no run.
// clock is the caller's: the service's for a member, the worker's for the
// schedule.
func (s *Service) enqueue(ctx context.Context, org bson.ObjectID, pl Platform, trigger Trigger, requestedBy bson.ObjectID, interval time.Duration, clock func() time.Time) (SyncRun, bool, error) {
	const attempts = 5
	for range attempts {
		now := clock().UTC().Truncate(time.Millisecond)
		id := bson.NewObjectID()
		var next *time.Time
		if trigger == TriggerSchedule {
			at := now.Add(interval)
			next = &at
		}
		doc, err := s.store.pointToRun(ctx, org, pl, id, now, next)
		if err != nil {
			return SyncRun{}, false, err
		}
		if doc != nil {
			run := runDoc{
				SyncRun: SyncRun{
					ID: id, OrganizationID: org, Platform: pl, Status: SyncQueued, Trigger: trigger, QueuedAt: now,
				},
				ConnectionID: doc.ConnectionID,
				RequestedBy:  requestedBy,
			}
			if err := s.store.insertRun(ctx, run); err != nil {
				// Free the pointer, so that the next request can queue again.
				_ = s.store.clearPointer(context.WithoutCancel(ctx), org, pl, id)
				return SyncRun{}, false, err
			}
			s.notify(ctx, doc, &run.SyncRun, now)
			return run.SyncRun, true, nil
		}
		if trigger == TriggerSchedule {
			return SyncRun{}, false, nil
		}

		doc, err = s.store.integration(ctx, org, pl)
		if err != nil {
			return SyncRun{}, false, err
		}
		if !doc.connected() {
			return SyncRun{}, false, errNotConnected(pl)
		}
		if doc.ActiveRunID.IsZero() {
			continue // its active run ended just now
		}
		active, err := s.store.run(ctx, org, doc.ActiveRunID)
		if err != nil {
			return SyncRun{}, false, err
		}
		switch {
		case active != nil && active.Status.Active():
			return active.SyncRun, false, nil
		case active == nil && doc.ActiveRunSince != nil && now.Sub(*doc.ActiveRunSince) < pointerGrace:
			// Another request set the pointer and is inserting the run.
			if err := platform.Sleep(ctx, 20*time.Millisecond); err != nil {
				return SyncRun{}, false, err
			}
			continue
		}
		// The pointer outlived its run: its worker is between ending the
		// run and recording the end on the integration, or stopped there.
		// Record the end and try again.
		if err := s.releasePointer(ctx, org, pl, doc.ActiveRunID, active, now); err != nil {
			return SyncRun{}, false, err
		}
	}
	return SyncRun{}, false, fmt.Errorf("integrations: queue %s sync: the integration kept changing; gave up after %d attempts", pl, attempts)
}

// SyncRuns returns the organization's kept runs of each of the platforms
// (every platform when none are given), newest first, in one database
// query, so that a dataloader can batch the runs of every integration of a
// page; SyncRunPage then pages each list. Every requested platform is a key
// of the result, with an empty list when it has no runs.
//
// Returns FORBIDDEN without a role in an organization, and BAD_USER_INPUT
// on field platform for an unknown platform.
func (s *Service) SyncRuns(ctx context.Context, p *authz.Principal, platforms []Platform) (map[Platform][]SyncRun, error) {
	if err := require(p, readRole); err != nil {
		return nil, err
	}
	if len(platforms) == 0 {
		platforms = Platforms()
	}
	var ps []Platform
	for _, pl := range platforms {
		if err := checkPlatform(pl); err != nil {
			return nil, err
		}
		if !slices.Contains(ps, pl) {
			ps = append(ps, pl)
		}
	}
	// Pruning keeps KeptRunsPerPlatform runs and there is at most one
	// active run per integration, so this limit loses none.
	var runs []SyncRun
	if s.opts.Cache != nil {
		v, err := s.opts.Cache.state(ctx, p.OrganizationID, s.loadState)
		if err != nil {
			return nil, err
		}
		runs = v.runs
	} else {
		docs, err := s.store.runsOf(ctx, p.OrganizationID, ps, len(ps)*(KeptRunsPerPlatform+2))
		if err != nil {
			return nil, err
		}
		runs = publicRuns(docs)
	}
	return groupRuns(runs, ps), nil
}

// groupRuns returns runs (newest first) by platform, for each of ps, at
// most KeptRunsPerPlatform+1 each, with an empty list for a platform that
// has none.
func groupRuns(runs []SyncRun, ps []Platform) map[Platform][]SyncRun {
	out := make(map[Platform][]SyncRun, len(ps))
	for _, pl := range ps {
		out[pl] = []SyncRun{}
	}
	for _, r := range runs {
		if l, asked := out[r.Platform]; asked && len(l) < KeptRunsPerPlatform+1 {
			out[r.Platform] = append(out[r.Platform], r)
		}
	}
	return out
}

// SyncRunPage pages one integration's runs as SyncRuns returned them:
// first is 1 to KeptRunsPerPlatform (nil for DefaultRunsPerPage), after the
// cursor of the last run of the previous page.
//
// Returns BAD_USER_INPUT on field first when it is out of range and on
// field after for a malformed cursor.
func SyncRunPage(runs []SyncRun, first *int, after *string) (page.Page[SyncRun], error) {
	r, err := page.New(first, after, DefaultRunsPerPage, KeptRunsPerPlatform, 2)
	if err != nil {
		return page.Page[SyncRun]{}, err
	}
	var ms int64
	if r.After != nil {
		if ms, err = strconv.ParseInt(r.After[0], 10, 64); err != nil {
			return page.Page[SyncRun]{}, apperr.Invalid("after", "The cursor is not valid; start again from the first page.")
		}
	}
	return page.Slice(r, runs, runCursor, func(run SyncRun, c []string) bool {
		at := run.QueuedAt.UnixMilli()
		return at < ms || at == ms && run.ID.Hex() < c[1]
	}), nil
}

// runCursor is the sort key of a run: newest first, ties by id descending.
func runCursor(run SyncRun) []string {
	return []string{strconv.FormatInt(run.QueuedAt.UnixMilli(), 10), run.ID.Hex()}
}

// SyncRun returns the organization's run with the given id.
//
// Returns FORBIDDEN without a role in an organization, and NOT_FOUND when
// the run does not exist or belongs to another organization.
func (s *Service) SyncRun(ctx context.Context, p *authz.Principal, id bson.ObjectID) (SyncRun, error) {
	if err := require(p, readRole); err != nil {
		return SyncRun{}, err
	}
	r, err := s.store.run(ctx, p.OrganizationID, id)
	if err != nil {
		return SyncRun{}, err
	}
	if r == nil {
		return SyncRun{}, errNotFound("sync run")
	}
	return r.SyncRun, nil
}

// releasePointer frees the integration whose active run pointer names id,
// a run that has ended (run) or that does not exist (run nil). An ended
// run's end is recorded on the integration as its worker would have (see
// endOf), so that the status, the last error and the last sync time are
// not lost when the pointer is freed between the worker's two writes; the
// worker's own end then finds the integration moved on and leaves it.
func (s *Service) releasePointer(ctx context.Context, org bson.ObjectID, pl Platform, id bson.ObjectID, run *runDoc, now time.Time) error {
	if run != nil {
		doc, err := s.store.endRun(ctx, run, endOf(run, now))
		if err != nil {
			return err
		}
		if doc != nil {
			s.notify(ctx, doc, nil, now)
			return nil
		}
	}
	return s.store.clearPointer(ctx, org, pl, id)
}
