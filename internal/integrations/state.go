package integrations

import (
	"context"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/authz"
)

// An integration's state is written in two documents: a worker starts a
// run by claiming the run (RUNNING) and then leasing the integration
// (SYNCING), and ends it by finishing the run (SUCCEEDED or FAILED) and
// then recording the end on the integration (CONNECTED or ERROR, with the
// last error). A reader that reads the integrations and then the runs can
// fall between the two writes and see a run that ended beside an
// integration still SYNCING. So the state is always read as one snapshot,
// integrations first, and settled: an integration whose active run has
// already started or ended is shown as the run's second write will leave
// it. The integrations and their runs of one answer come from one snapshot
// (IntegrationState), never from two reads that a change can fall between.

// IntegrationState returns the organization's integration with every
// platform, in Platforms order (a platform never connected is
// DISCONNECTED), and, when withRuns, the kept runs of every platform,
// newest first (as SyncRuns groups them), read and settled as one snapshot.
//
// Returns UNAUTHENTICATED without a caller and FORBIDDEN without a role in an organization.
func (s *Service) IntegrationState(ctx context.Context, p *authz.Principal, withRuns bool) ([]Integration, map[Platform][]SyncRun, error) {
	if err := require(p, readRole); err != nil {
		return nil, nil, err
	}
	v, err := s.stateOf(ctx, p.OrganizationID, withRuns)
	if err != nil {
		return nil, nil, err
	}
	out := make([]Integration, 0, len(Platforms()))
	for _, pl := range Platforms() {
		i := Integration{OrganizationID: p.OrganizationID, Platform: pl, Status: StatusDisconnected}
		for _, d := range v.integrations {
			if d.Platform == pl {
				i = d.public()
			}
		}
		out = append(out, i)
	}
	if !withRuns {
		return out, nil, nil
	}
	return out, groupRuns(v.runs, Platforms()), nil
}

// stateOf returns the organization's settled state from the Cache or,
// without one, from the database: the integrations, and the runs when
// withRuns or when an integration has an active run to settle.
func (s *Service) stateOf(ctx context.Context, org bson.ObjectID, withRuns bool) (*stateView, error) {
	if s.opts.Cache != nil {
		return s.opts.Cache.state(ctx, org, s.loadState)
	}
	if withRuns {
		return s.loadState(ctx, org)
	}
	docs, err := s.store.integrationsOf(ctx, org)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(docs, func(d integrationDoc) bool { return !d.ActiveRunID.IsZero() }) {
		return &stateView{integrations: docs}, nil
	}
	return s.loadRuns(ctx, org, docs)
}

// loadState reads the organization's integrations and then the kept runs
// of every platform, and settles them: two finds.
func (s *Service) loadState(ctx context.Context, org bson.ObjectID) (*stateView, error) {
	docs, err := s.store.integrationsOf(ctx, org)
	if err != nil {
		return nil, err
	}
	return s.loadRuns(ctx, org, docs)
}

// loadRuns reads the organization's kept runs of every platform, read
// after docs, and settles docs by them.
func (s *Service) loadRuns(ctx context.Context, org bson.ObjectID, docs []integrationDoc) (*stateView, error) {
	ps := Platforms()
	runs, err := s.store.runsOf(ctx, org, ps, len(ps)*(KeptRunsPerPlatform+2))
	if err != nil {
		return nil, err
	}
	settle(docs, runs)
	return &stateView{integrations: docs, runs: publicRuns(runs)}, nil
}

// settle sets on each integration what the second write of its active
// run's start or end will set, when runs (read after docs) show that the
// first write happened: SYNCING for a run that started, what endRun
// records for one that ended, and for a run put back in the queue at a
// shutdown the status returnLease gives back. An integration whose active
// run is not among runs, or was queued for an older connection (whose end
// the integration ignores), is left as it is.
func settle(docs []integrationDoc, runs []runDoc) {
	for i := range docs {
		d := &docs[i]
		if d.ActiveRunID.IsZero() {
			continue
		}
		at := slices.IndexFunc(runs, func(r runDoc) bool { return r.ID == d.ActiveRunID })
		if at < 0 || runs[at].ConnectionID != d.ConnectionID {
			continue
		}
		switch run := &runs[at]; run.Status {
		case SyncRunning:
			d.Status = StatusSyncing
		case SyncQueued:
			if d.Status == StatusSyncing {
				d.Status = StatusConnected
				if d.LastError != "" {
					d.Status = StatusError
				}
			}
		default:
			endOf(run, d.UpdatedAt).apply(d)
		}
	}
}

// publicRuns returns the public part of stored runs.
func publicRuns(runs []runDoc) []SyncRun {
	out := make([]SyncRun, len(runs))
	for i, r := range runs {
		out[i] = r.SyncRun
	}
	return out
}
