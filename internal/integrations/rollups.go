package integrations

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/page"
)

// The read models. Synced records change only when a sync run ends (and
// when a disconnect purges them), so the dashboard's figures are computed
// then, not at every read: each organization has one rollup document
// (rollupDoc), rebuilt whole from its records by buildRollup and fetched
// by _id. The dashboard's reads (MarketingSummary, EmailDaily,
// PipelineSummary and the first pages of EmailCampaigns and EmailFlows)
// answer from it in one find whatever the range, none when it is cached.
//
// A rollup is never patched: every rebuild reads every record again, so
// any rebuild converges on the records. Two rebuilds of one organization
// (two platforms' syncs ending at once, a rebuild command) are ordered by
// the rollup's data version: a rebuild writes only over the version it
// read before reading the records, and reads again when another wrote
// first, so the last rollup written was built after the last records.

// RollupFormat is the format of the rollup documents. Change it whenever
// what buildRollup stores changes: a process that starts and finds
// rollups of another format rebuilds them all (RebuildRollupsIfStale), and
// a rollup of another format is never read.
const RollupFormat = 1

// rollupListSize is how many campaigns and flows of their lists a rollup
// keeps: a first page of up to this many is read from it.
const rollupListSize = 100

// rollupAttempts bounds the rebuilds of one organization that lose to
// another writer before giving up.
const rollupAttempts = 5

// buildRollup computes the organization's rollup from its records; it
// reads nothing and sets no version.
func buildRollup(org bson.ObjectID, src rollupSources, now time.Time) rollupDoc {
	d := rollupDoc{ID: rollupKey(org), OrganizationID: org, Format: RollupFormat, BuiltAt: now,
		Daily: []rollupDay{}, Campaigns: []rollupCampaign{}, FlowDays: []rollupFlowDay{}, FlowNames: []rollupName{},
		Stages: []rollupStage{}, LatestCampaigns: []rollupCampaignItem{}, FirstFlows: []rollupFlowItem{}}
	for _, r := range src.daily {
		d.Daily = append(d.Daily, rollupDay{Date: utcDay(r.Date), Platform: r.Platform, Revenue: r.Revenue, AdSpend: r.AdSpend,
			Orders: r.Orders, EmailsReceived: r.EmailsReceived, EmailsOpened: r.EmailsOpened, EmailsClicked: r.EmailsClicked,
			PlacedOrders: r.PlacedOrders, PlacedOrderRevenue: r.PlacedOrderRevenue})
	}
	slices.SortFunc(d.Daily, func(a, b rollupDay) int {
		return cmp.Or(a.Date.Compare(b.Date), cmp.Compare(a.Platform.rank(), b.Platform.rank()))
	})
	for _, c := range src.campaigns {
		if c.SendDate != nil {
			d.Campaigns = append(d.Campaigns, rollupCampaign{ID: c.ExternalID, Name: c.Name, Date: utcDay(*c.SendDate),
				Revenue: c.Revenue, Conversions: c.Conversions})
		}
	}
	slices.SortFunc(d.Campaigns, func(a, b rollupCampaign) int {
		return cmp.Or(a.Date.Compare(b.Date), strings.Compare(a.ID, b.ID))
	})
	for _, fd := range src.flowDays {
		flows := fd.Flows
		if flows == nil {
			flows = []flowValue{}
		}
		d.FlowDays = append(d.FlowDays, rollupFlowDay{Date: utcDay(fd.Date), Flows: flows})
	}
	slices.SortFunc(d.FlowDays, func(a, b rollupFlowDay) int { return a.Date.Compare(b.Date) })

	flows := slices.Clone(src.flows)
	// The flow list's order: by name, ties by _id (the Klaviyo id within
	// the organization), compared as bytes as the database does.
	slices.SortFunc(flows, func(a, b flowDoc) int { return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID)) })
	for _, f := range flows {
		d.FlowNames = append(d.FlowNames, rollupName{ID: f.ExternalID, Name: f.Name})
		if len(d.FirstFlows) < rollupListSize {
			d.FirstFlows = append(d.FirstFlows, rollupFlowItem{ExternalID: f.ExternalID, Name: f.Name, Status: f.Status, TriggerType: f.TriggerType})
		}
	}
	d.FlowCount = len(flows)

	pipe := pipelineOf(src.deals)
	for _, st := range pipe.Stages {
		d.Stages = append(d.Stages, rollupStage(st))
	}
	d.OpenAmount = pipe.OpenAmount

	for _, c := range src.latest[:min(len(src.latest), rollupListSize)] {
		d.LatestCampaigns = append(d.LatestCampaigns, rollupCampaignItem{ExternalID: c.ExternalID, Name: c.Name, Status: c.Status,
			SendTime: c.SendTime, SortAt: c.SortAt})
	}
	d.CampaignCount = max(src.campaignCount, len(d.LatestCampaigns))
	return d
}

// pipelineOf sums deals by stage, ordered by stage id.
func pipelineOf(deals []dealDoc) Pipeline {
	var out Pipeline
	byStage := map[string]*StageTotal{}
	for _, d := range deals {
		st := byStage[d.Stage]
		if st == nil {
			st = &StageTotal{Stage: d.Stage}
			byStage[d.Stage] = st
		}
		st.Count++
		if d.Amount != nil {
			st.Amount += *d.Amount
			if d.Stage != StageClosedWon && d.Stage != StageClosedLost {
				out.OpenAmount += *d.Amount
			}
		}
	}
	out.Stages = make([]StageTotal, 0, len(byStage))
	for _, st := range byStage {
		out.Stages = append(out.Stages, *st)
	}
	slices.SortFunc(out.Stages, func(a, b StageTotal) int { return strings.Compare(a.Stage, b.Stage) })
	return out
}

// span returns the indexes [i, j) of the entries of a list sorted by date
// whose date is from from to to, included.
func span(n int, date func(int) time.Time, from, to time.Time) (int, int) {
	i := sort.Search(n, func(k int) bool { return !date(k).Before(from) })
	j := sort.Search(n, func(k int) bool { return date(k).After(to) })
	return i, max(i, j)
}

// dailyRows returns the daily rows of every platform from the day from to
// the day to, included.
func (r *rollupDoc) dailyRows(from, to time.Time) []dailyDoc {
	i, j := span(len(r.Daily), func(k int) time.Time { return r.Daily[k].Date }, from, to)
	out := make([]dailyDoc, 0, j-i)
	for _, d := range r.Daily[i:j] {
		out = append(out, dailyDoc{Platform: d.Platform, Date: d.Date, Revenue: d.Revenue, AdSpend: d.AdSpend, Orders: d.Orders,
			EmailsReceived: d.EmailsReceived, EmailsOpened: d.EmailsOpened, EmailsClicked: d.EmailsClicked,
			PlacedOrders: d.PlacedOrders, PlacedOrderRevenue: d.PlacedOrderRevenue})
	}
	return out
}

// campaignsSent returns the attributed values of the campaigns sent from
// the day from to the day to, included.
func (r *rollupDoc) campaignsSent(from, to time.Time) []campaignValueDoc {
	i, j := span(len(r.Campaigns), func(k int) time.Time { return r.Campaigns[k].Date }, from, to)
	out := make([]campaignValueDoc, 0, j-i)
	for _, c := range r.Campaigns[i:j] {
		date := c.Date
		out = append(out, campaignValueDoc{ExternalID: c.ID, Name: c.Name, SendDate: &date, Revenue: c.Revenue, Conversions: c.Conversions})
	}
	return out
}

// flowDaysIn returns the flow days from the day from to the day to, included.
func (r *rollupDoc) flowDaysIn(from, to time.Time) []flowDayDoc {
	i, j := span(len(r.FlowDays), func(k int) time.Time { return r.FlowDays[k].Date }, from, to)
	out := make([]flowDayDoc, 0, j-i)
	for _, fd := range r.FlowDays[i:j] {
		out = append(out, flowDayDoc{Date: fd.Date, Flows: fd.Flows})
	}
	return out
}

// flowNames returns every flow's name by Klaviyo id.
func (r *rollupDoc) flowNames() map[string]string {
	out := make(map[string]string, len(r.FlowNames))
	for _, n := range r.FlowNames {
		out[n.ID] = n.Name
	}
	return out
}

// pipeline returns the deals by stage.
func (r *rollupDoc) pipeline() Pipeline {
	out := Pipeline{Stages: make([]StageTotal, len(r.Stages)), OpenAmount: r.OpenAmount}
	for i, st := range r.Stages {
		out.Stages[i] = StageTotal(st)
	}
	return out
}

// campaignPage returns the page req of the campaign list when the rollup
// holds it (a first page of at most rollupListSize, or any page when it
// holds every campaign); ok is false when the store must be asked.
func (r *rollupDoc) campaignPage(org bson.ObjectID, req page.Request) (p page.Page[campaignDoc], ok bool) {
	all := len(r.LatestCampaigns) >= r.CampaignCount
	if !all && (req.After != nil || req.First >= len(r.LatestCampaigns)) {
		return p, false
	}
	docs := make([]campaignDoc, len(r.LatestCampaigns))
	for i, c := range r.LatestCampaigns {
		docs[i] = campaignDoc{ID: recordKey(org, c.ExternalID), OrganizationID: org, ExternalID: c.ExternalID, Name: c.Name,
			Status: c.Status, SendTime: c.SendTime, SortAt: c.SortAt}
	}
	return slicePage(req, docs, r.CampaignCount, campaignOrder, func(d campaignDoc) string { return d.ExternalID })
}

// flowPage is campaignPage for the flow list.
func (r *rollupDoc) flowPage(org bson.ObjectID, req page.Request) (p page.Page[flowDoc], ok bool) {
	all := len(r.FirstFlows) >= r.FlowCount
	if !all && (req.After != nil || req.First >= len(r.FirstFlows)) {
		return p, false
	}
	docs := make([]flowDoc, len(r.FirstFlows))
	for i, f := range r.FirstFlows {
		docs[i] = flowDoc{ID: recordKey(org, f.ExternalID), OrganizationID: org, ExternalID: f.ExternalID, Name: f.Name,
			Status: f.Status, TriggerType: f.TriggerType}
	}
	return slicePage(req, docs, r.FlowCount, flowOrder, func(d flowDoc) string { return d.ExternalID })
}

// slicePage pages a list held in order, as pageRecords pages it in the
// store: the items after the cursor's sort value and id, the total count
// of the whole list. A cursor whose value does not parse is not served.
func slicePage[T any](req page.Request, docs []T, total int, order recordOrder, externalID func(T) string) (page.Page[T], bool) {
	start := 0
	if req.After != nil {
		if _, err := order.parse(req.After[0]); err != nil || req.After[1] == "" {
			return page.Page[T]{}, false
		}
		start = len(docs)
		for i, d := range docs {
			if after(order, order.value(d), externalID(d), req.After[0], req.After[1]) {
				start = i
				break
			}
		}
	}
	end := min(len(docs), start+req.First+1)
	return page.Make(req, docs[start:end], total, func(d T) []string { return []string{order.value(d), externalID(d)} }), true
}

// after reports whether an item whose sort value is v and platform id id
// comes after the cursor's cv and cid in order.
func after(order recordOrder, v, id, cv, cid string) bool {
	var c int
	if order.desc {
		// Time values in milliseconds, compared as numbers.
		a, _ := order.parse(v)
		b, _ := order.parse(cv)
		c = b.(time.Time).Compare(a.(time.Time))
	} else {
		c = strings.Compare(v, cv)
	}
	return c > 0 || c == 0 && id > cid
}

// readMemo shares the rollups read by one operation: each organization's
// is read once, however many fields ask for it.
type readMemo struct {
	mu sync.Mutex
	m  map[bson.ObjectID]*memoEntry
}

type memoEntry struct {
	once sync.Once
	doc  *rollupDoc
	err  error
}

type memoKey struct{}

// WithReadMemo returns a context in which the read models an operation
// reads are read once and shared by every field of the operation that
// asks for them. The composition root installs one per GraphQL response.
func WithReadMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, memoKey{}, &readMemo{m: map[bson.ObjectID]*memoEntry{}})
}

// rollup returns the organization's rollup: from the operation's memo,
// else from the process's cache, else from the database. A missing rollup,
// or one of another format, is rebuilt from the records.
func (s *Service) rollup(ctx context.Context, org bson.ObjectID) (*rollupDoc, error) {
	memo, _ := ctx.Value(memoKey{}).(*readMemo)
	if memo == nil {
		return s.cachedRollup(ctx, org)
	}
	memo.mu.Lock()
	e := memo.m[org]
	if e == nil {
		e = &memoEntry{}
		memo.m[org] = e
	}
	memo.mu.Unlock()
	e.once.Do(func() { e.doc, e.err = s.cachedRollup(ctx, org) })
	return e.doc, e.err
}

// cachedRollup returns the organization's rollup from the process's
// cache, or loads it.
func (s *Service) cachedRollup(ctx context.Context, org bson.ObjectID) (*rollupDoc, error) {
	if s.opts.Cache == nil {
		return s.loadRollup(ctx, org)
	}
	return s.opts.Cache.rollup(ctx, org, s.loadRollup)
}

// loadRollup reads the organization's rollup from the database, rebuilding
// it when it is missing or of an older format.
func (s *Service) loadRollup(ctx context.Context, org bson.ObjectID) (*rollupDoc, error) {
	d, err := s.store.rollup(ctx, org)
	if err != nil {
		return nil, err
	}
	switch {
	case d != nil && d.Format > RollupFormat:
		// A newer release wrote it (a rolling deploy): this process builds
		// its own from the records and leaves the stored one alone.
		src, err := s.store.rollupSources(ctx, org)
		if err != nil {
			return nil, err
		}
		own := buildRollup(org, src, s.now())
		own.Version = d.Version
		return &own, nil
	case d == nil || d.Format != RollupFormat:
		return s.rebuildRollup(ctx, org)
	}
	return d, nil
}

// rebuildRollup builds the organization's rollup from its records and
// stores it with the next data version. It returns what it stored.
func (s *Service) rebuildRollup(ctx context.Context, org bson.ObjectID) (*rollupDoc, error) {
	for range rollupAttempts {
		prev, err := s.store.rollupVersion(ctx, org)
		if err != nil {
			return nil, err
		}
		src, err := s.store.rollupSources(ctx, org)
		if err != nil {
			return nil, err
		}
		doc := buildRollup(org, src, s.now())
		doc.Version = prev + 1
		ok, err := s.store.replaceRollup(ctx, doc, prev)
		if err != nil {
			return nil, err
		}
		if ok {
			return &doc, nil
		}
	}
	return nil, fmt.Errorf("integrations: rebuild rollup of %s: other writers kept winning; gave up after %d attempts", org.Hex(), rollupAttempts)
}

// refreshRollup rebuilds the organization's rollup and reports its new
// data version, to this process's Cache at once and to the others through
// Options.Changed, so that every process drops the older rollup it holds.
func (s *Service) refreshRollup(ctx context.Context, org bson.ObjectID) error {
	doc, err := s.rebuildRollup(ctx, org)
	if err != nil {
		return err
	}
	s.opts.Cache.Invalidate(org, doc.Version)
	s.opts.Changed(ctx, org, doc.Version)
	return nil
}

// DefaultRebuildBatch is how many organizations RebuildRollups lists at a
// time when the caller does not say.
const DefaultRebuildBatch = 100

// RebuildRollups rebuilds the rollup of every organization that has or had
// an integration from its records, listing batch organizations at a time
// (DefaultRebuildBatch when batch is not positive), and reports each new
// data version (Options.Changed). It returns how many it rebuilt.
// Running it again, or while syncs end, changes nothing but the data
// versions: every rebuild converges on the records. It is for operators
// and start-up, not for callers: it checks no principal.
func (s *Service) RebuildRollups(ctx context.Context, batch int) (int, error) {
	if batch <= 0 {
		batch = DefaultRebuildBatch
	}
	n := 0
	var after bson.ObjectID
	for {
		orgs, err := s.store.organizationsAfter(ctx, after, batch)
		if err != nil {
			return n, err
		}
		for _, org := range orgs {
			if err := s.refreshRollup(ctx, org); err != nil {
				return n, err
			}
			n++
		}
		if len(orgs) < batch {
			return n, nil
		}
		after = orgs[len(orgs)-1]
	}
}

// RebuildRollupsIfStale rebuilds every rollup (RebuildRollups) when the
// stored rollups were built in an older format than RollupFormat (or none
// was recorded), then records the format; it reports how many it rebuilt, 0 when they were
// current. Several processes starting at once may each rebuild: the
// rebuilds converge.
func (s *Service) RebuildRollupsIfStale(ctx context.Context) (int, error) {
	format, err := s.store.rollupFormat(ctx)
	if err != nil || format >= RollupFormat {
		// Current, or recorded by a later release: nothing to do.
		return 0, err
	}
	n, err := s.RebuildRollups(ctx, DefaultRebuildBatch)
	if err != nil {
		return n, err
	}
	return n, s.store.setRollupFormat(ctx, RollupFormat)
}

// RecordRollupFormat records that every stored rollup is of RollupFormat,
// after RebuildRollups rebuilt them all.
func (s *Service) RecordRollupFormat(ctx context.Context) error {
	return s.store.setRollupFormat(ctx, RollupFormat)
}
