package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omnify/bff/internal/config"
)

// The platforms, named as the GraphQL enum names them.
const (
	platformTW = "TRIPLE_WHALE"
	platformHS = "HUBSPOT"
	platformKL = "KLAVIYO"
)

// soakPlatformNames lists the platforms in the order a round of the soak
// test queues their syncs.
var soakPlatformNames = []string{platformTW, platformHS, platformKL}

// soakStages are the deal stages the HubSpot fake uses; the last two are
// closed, so pipelineSummary leaves them out of the open amount.
var soakStages = []string{"appointmentscheduled", "qualifiedtobuy", "closedwon", "closedlost"}

// soakPlatforms are fakes of Triple Whale, HubSpot and Klaviyo that serve
// many accounts at once, each opened by its own keys, with its own figures
// and its own faults. They speak the same documented APIs as the fakes of
// newPlatforms, which serve one fixed account; these differ in what the
// soak test needs: accounts the test adds, HubSpot pages as large as the
// caller asks (so a sync writes full pages of 100), data that changes
// between syncs, and failures injected per account.
type soakPlatforms struct {
	tw, hs, kl *httptest.Server

	mu    sync.Mutex
	byKey map[string]*soakAccount // every key of every account
}

// soakAccount is one store's account on all three platforms.
type soakAccount struct {
	n    int // its number, from 1; figures are scaled by it so tenants differ
	shop string
	keys map[string]string // by platform
	// rateLimitEvery and errorEvery make every n-th call of the account to
	// a platform answer 429 (with Retry-After: 1) or 500; 0 never. They are
	// coprime, so at most two calls in a row fail and the platform clients'
	// retries (four attempts) always get through.
	rateLimitEvery, errorEvery int

	mu       sync.Mutex
	deals    []soakDeal // in id order, which is the order HubSpot pages them in
	contacts []soakContact
	seq      int             // numbers new records and modification times
	calls    map[string]int  // calls per platform that passed authentication
	revoked  map[string]bool // platforms whose key is refused from now on
	injected map[string]int  // faults served, by "platform status"
}

type soakDeal struct {
	id, name, stage string
	amount          float64
	updated         time.Time
}

type soakContact struct {
	id, email string
	created   time.Time
}

func newSoakPlatforms(t *testing.T) *soakPlatforms {
	t.Helper()
	p := &soakPlatforms{byKey: map[string]*soakAccount{}}
	p.tw = httptest.NewServer(http.HandlerFunc(p.tripleWhale))
	p.hs = httptest.NewServer(http.HandlerFunc(p.hubSpot))
	p.kl = httptest.NewServer(http.HandlerFunc(p.klaviyo))
	t.Cleanup(p.close)
	return p
}

// dropConnections closes the connections the servers hold open between
// calls, as platforms' load balancers do with idle ones.
func (p *soakPlatforms) dropConnections() {
	for _, s := range []*httptest.Server{p.tw, p.hs, p.kl} {
		s.CloseClientConnections()
	}
}

// close ends the servers; it is safe to call more than once.
func (p *soakPlatforms) close() {
	p.dropConnections()
	for _, s := range []*httptest.Server{p.tw, p.hs, p.kl} {
		s.Close()
	}
}

func (p *soakPlatforms) configure(c *config.Config) {
	c.TripleWhaleBaseURL, c.HubSpotBaseURL, c.KlaviyoBaseURL = p.tw.URL, p.hs.URL, p.kl.URL
}

// addAccount registers account n. It has just over a hundred HubSpot
// deals, so that a sync writes a full page of 100 at once, then a second
// page; its few contacts fit one page, since every record written costs
// the worker time.
func (p *soakPlatforms) addAccount(n, rateLimitEvery, errorEvery int) *soakAccount {
	a := &soakAccount{
		n:    n,
		shop: fmt.Sprintf("soak-%d.myshopify.com", n),
		keys: map[string]string{
			platformTW: fmt.Sprintf("tw-soak-%d-0123456789", n),
			platformHS: fmt.Sprintf("pat-na1-soak-%d-0123456789", n),
			platformKL: fmt.Sprintf("pk_soak%d0123456789abcdef", n),
		},
		rateLimitEvery: rateLimitEvery,
		errorEvery:     errorEvery,
		calls:          map[string]int{},
		revoked:        map[string]bool{},
		injected:       map[string]int{},
	}
	for range 100 + n {
		a.addDeal()
	}
	for range 5 + n {
		a.addContact()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range a.keys {
		p.byKey[k] = a
	}
	return a
}

// clock returns the modification time of the account's next change; every
// change gets a later one, so HubSpot's order by modification is strict.
func (a *soakAccount) clock() time.Time {
	a.seq++
	return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(a.seq) * time.Minute)
}

func (a *soakAccount) addDeal() {
	at := a.clock()
	// Whole and half amounts add up exactly in float64, so sums compare
	// with ==.
	a.deals = append(a.deals, soakDeal{
		id:      fmt.Sprintf("%d%06d", a.n, a.seq),
		name:    fmt.Sprintf("Deal %d of store %d", a.seq, a.n),
		stage:   soakStages[a.seq%len(soakStages)],
		amount:  float64(100+a.seq*37%900) + 0.5*float64(a.seq%2),
		updated: at,
	})
}

func (a *soakAccount) addContact() {
	at := a.clock()
	a.contacts = append(a.contacts, soakContact{id: fmt.Sprintf("%d%06d", a.n, a.seq), email: fmt.Sprintf("c%d@store%d.example", a.seq, a.n), created: at})
}

// evolve changes the CRM as a sales team does between two syncs: a new
// deal and contact, one deal moved to another stage with a new amount,
// and every other time one deal deleted. The next sync must write it all,
// and delete what is gone.
func (a *soakAccount) evolve() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.addDeal()
	a.addContact()
	i := a.seq * 7 % len(a.deals)
	d := &a.deals[i]
	d.amount += 25
	d.stage = soakStages[(slices.Index(soakStages, d.stage)+1)%len(soakStages)]
	d.updated = a.clock()
	if a.seq%2 == 0 {
		i := a.seq * 13 % len(a.deals)
		a.deals = slices.Delete(a.deals, i, i+1)
	}
}

// revoke makes the platform refuse the account's key from now on, as when
// the shop owner deletes the key on the platform.
func (a *soakAccount) revoke(platform string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.revoked[platform] = true
}

// twDay is the account's Triple Whale figures of a day: like twDay, scaled.
func (a *soakAccount) twDay(d time.Time) (revenue, spend, orders float64) {
	return float64(a.n * (100 + d.Day())), float64(20 * a.n), float64(1 + d.Day()%3)
}

// twTotals sums the Triple Whale figures from from to to, both included.
func (a *soakAccount) twTotals(from, to time.Time) (revenue, spend, orders float64) {
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		r, s, o := a.twDay(d)
		revenue, spend, orders = revenue+r, spend+s, orders+o
	}
	return revenue, spend, orders
}

// emailRevenuePerDay is what Klaviyo reports of Placed Order value each day.
func (a *soakAccount) emailRevenuePerDay() float64 { return float64(10 * a.n) }

// soakPipeline is what the CRM holds, summed the way the dashboard sums it.
type soakPipeline struct {
	deals, contacts int
	stages          map[string]soakStage
	open            float64
}

type soakStage struct {
	count  int
	amount float64
}

func (a *soakAccount) pipeline() soakPipeline {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := soakPipeline{deals: len(a.deals), contacts: len(a.contacts), stages: map[string]soakStage{}}
	for _, d := range a.deals {
		s := out.stages[d.stage]
		s.count++
		s.amount += d.amount
		out.stages[d.stage] = s
		if d.stage != "closedwon" && d.stage != "closedlost" {
			out.open += d.amount
		}
	}
	return out
}

// faults returns how many faults of each kind the account was served.
func (a *soakAccount) faults() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]int, len(a.injected))
	for k, v := range a.injected {
		out[k] = v
	}
	return out
}

// gate authenticates a call to platform and applies the account's
// faults. It returns the account, or nil when it answered the call itself
// (through fail, which writes the platform's error body for a status).
func (p *soakPlatforms) gate(w http.ResponseWriter, platform, key string, fail func(http.ResponseWriter, int)) *soakAccount {
	p.mu.Lock()
	a := p.byKey[key]
	p.mu.Unlock()
	if a == nil || a.keys[platform] != key {
		fail(w, http.StatusUnauthorized)
		return nil
	}
	a.mu.Lock()
	status := 0
	if a.revoked[platform] {
		status = http.StatusUnauthorized
	} else {
		a.calls[platform]++
		n := a.calls[platform]
		switch {
		case a.rateLimitEvery > 0 && n%a.rateLimitEvery == 0:
			status = http.StatusTooManyRequests
		case a.errorEvery > 0 && n%a.errorEvery == 0:
			status = http.StatusInternalServerError
		}
	}
	if status != 0 {
		a.injected[platform+" "+strconv.Itoa(status)]++
	}
	a.mu.Unlock()
	if status == 0 {
		return a
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	fail(w, status)
	return nil
}

func soakJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (p *soakPlatforms) tripleWhale(w http.ResponseWriter, r *http.Request) {
	fail := func(w http.ResponseWriter, status int) {
		msg := map[int]string{401: "Invalid API key", 429: "Too many requests, slow down", 500: "Internal server error"}[status]
		soakJSON(w, status, map[string]any{"success": false, "message": msg})
	}
	a := p.gate(w, platformTW, r.Header.Get("x-api-key"), fail)
	if a == nil {
		return
	}
	switch r.URL.Path {
	case "/users/api-keys/me":
		soakJSON(w, 200, map[string]any{"id": fmt.Sprintf("key-%d", a.n)})
	case "/summary-page/get-data":
		var body struct {
			ShopDomain string
			Period     struct{ Start, End string }
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		day, err := time.Parse(time.DateOnly, body.Period.Start)
		if err != nil || body.ShopDomain != a.shop {
			soakJSON(w, 400, map[string]any{"success": false, "message": "bad request"})
			return
		}
		rev, spend, orders := a.twDay(day)
		soakJSON(w, 200, map[string]any{"metrics": []any{
			map[string]any{"id": "sales", "values": map[string]any{"current": rev, "previous": 0}},
			map[string]any{"id": "blendedAds", "values": map[string]any{"current": fmt.Sprint(spend)}},
			map[string]any{"id": "roas", "values": map[string]any{"current": rev / spend}},
			map[string]any{"id": "orders", "values": map[string]any{"current": orders}},
			map[string]any{"id": "shopifyAov", "values": map[string]any{"current": rev / orders}},
			map[string]any{"id": "totalNetProfit", "values": map[string]any{"current": rev / 4}},
		}})
	default:
		soakJSON(w, 404, map[string]any{"success": false, "message": "not found"})
	}
}

func (p *soakPlatforms) hubSpot(w http.ResponseWriter, r *http.Request) {
	fail := func(w http.ResponseWriter, status int) {
		switch status {
		case 401:
			soakJSON(w, status, map[string]any{"status": "error", "message": "Authentication credentials not found.", "correlationId": "soak-401", "category": "INVALID_AUTHENTICATION"})
		case 429:
			soakJSON(w, status, map[string]any{"status": "error", "message": "You have reached your ten_secondly_rolling limit.", "errorType": "RATE_LIMIT", "correlationId": "soak-429", "policyName": "TEN_SECONDLY_ROLLING"})
		default:
			soakJSON(w, status, map[string]any{"status": "error", "message": "internal error", "correlationId": "soak-500", "category": "INTERNAL_ERROR"})
		}
	}
	a := p.gate(w, platformHS, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), fail)
	if a == nil {
		return
	}
	limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
	if err != nil || limit < 1 {
		limit = 10 // HubSpot's default
	}
	limit = min(limit, 100)
	start, _ := strconv.Atoi(r.URL.Query().Get("after"))
	var results []any
	total := 0
	a.mu.Lock()
	switch r.URL.Path {
	case "/crm/v3/objects/deals":
		total = len(a.deals)
		for _, d := range a.deals[min(start, total):min(start+limit, total)] {
			at := d.updated.Format(time.RFC3339)
			results = append(results, map[string]any{"id": d.id, "archived": false, "createdAt": "2026-01-01T00:00:00Z", "updatedAt": at,
				"properties": map[string]any{"dealname": d.name, "dealstage": d.stage, "amount": strconv.FormatFloat(d.amount, 'f', -1, 64),
					"pipeline": "default", "closedate": "2026-03-01T00:00:00Z", "hs_lastmodifieddate": at}})
		}
	case "/crm/v3/objects/contacts":
		total = len(a.contacts)
		for _, c := range a.contacts[min(start, total):min(start+limit, total)] {
			at := c.created.Format(time.RFC3339)
			results = append(results, map[string]any{"id": c.id, "archived": false, "createdAt": at, "updatedAt": at,
				"properties": map[string]any{"email": c.email, "firstname": "Soak", "lastname": "Contact", "createdate": at}})
		}
	default:
		a.mu.Unlock()
		soakJSON(w, 404, map[string]any{"status": "error", "message": "not found"})
		return
	}
	a.mu.Unlock()
	page := map[string]any{"results": results}
	if end := start + limit; end < total {
		page["paging"] = map[string]any{"next": map[string]any{"after": strconv.Itoa(end)}}
	}
	soakJSON(w, 200, page)
}

func (p *soakPlatforms) klaviyo(w http.ResponseWriter, r *http.Request) {
	fail := func(w http.ResponseWriter, status int) {
		e := map[int]map[string]any{
			401: {"status": 401, "code": "not_authenticated", "title": "Authentication credentials were not provided.", "detail": "Missing or invalid private key."},
			429: {"status": 429, "code": "throttled", "title": "Request was throttled.", "detail": "Request was throttled. Expected available in 1 second."},
			500: {"status": 500, "code": "error", "title": "A server error occurred.", "detail": "A server error occurred."},
		}[status]
		soakJSON(w, status, map[string]any{"errors": []any{e}})
	}
	if r.Header.Get("revision") != "2024-10-15" {
		fail(w, http.StatusUnauthorized)
		return
	}
	a := p.gate(w, platformKL, strings.TrimPrefix(r.Header.Get("Authorization"), "Klaviyo-API-Key "), fail)
	if a == nil {
		return
	}
	list := func(data ...any) map[string]any {
		return map[string]any{"data": data, "links": map[string]any{"self": "http://" + r.Host + r.URL.RequestURI(), "next": nil}}
	}
	switch r.URL.Path {
	case "/api/accounts":
		soakJSON(w, 200, list(map[string]any{"type": "account", "id": fmt.Sprintf("AC%d", a.n), "attributes": map[string]any{"contact_information": map[string]any{"organization_name": fmt.Sprintf("Soak Store %d", a.n)}}}))
	case "/api/campaigns":
		if !strings.Contains(r.URL.RawQuery, "filter=") {
			soakJSON(w, 400, map[string]any{"errors": []any{map[string]any{"status": "400", "code": "invalid", "title": "filter is required"}}})
			return
		}
		soakJSON(w, 200, list(
			map[string]any{"type": "campaign", "id": fmt.Sprintf("CA%d-1", a.n), "attributes": map[string]any{"name": fmt.Sprintf("Black Friday %d", a.n), "status": "Sent", "send_time": "2026-11-20T10:00:00+00:00", "created_at": "2026-11-01T00:00:00+00:00", "updated_at": "2026-11-20T10:00:00+00:00"}},
			map[string]any{"type": "campaign", "id": fmt.Sprintf("CA%d-2", a.n), "attributes": map[string]any{"name": fmt.Sprintf("Winter teaser %d", a.n), "status": "Draft", "send_time": nil, "created_at": "2026-11-02T00:00:00+00:00", "updated_at": "2026-11-02T00:00:00+00:00"}}))
	case "/api/flows":
		soakJSON(w, 200, list(map[string]any{"type": "flow", "id": fmt.Sprintf("FL%d", a.n), "attributes": map[string]any{"name": "Welcome series", "status": "live", "trigger_type": "Added to List"}}))
	case "/api/metrics":
		soakJSON(w, 200, list(
			map[string]any{"type": "metric", "id": "M1", "attributes": map[string]any{"name": "Opened Email"}},
			map[string]any{"type": "metric", "id": "M2", "attributes": map[string]any{"name": "Clicked Email"}},
			map[string]any{"type": "metric", "id": "M3", "attributes": map[string]any{"name": "Placed Order"}}))
	case "/api/metric-aggregates":
		var body struct {
			Data struct {
				Attributes struct {
					Filter []string `json:"filter"`
				}
			}
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		from, to := filterDays(body.Data.Attributes.Filter)
		var dates []string
		var counts, sums []float64
		for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
			dates = append(dates, d.Format("2006-01-02T15:04:05+00:00"))
			counts = append(counts, 3)
			sums = append(sums, a.emailRevenuePerDay())
		}
		soakJSON(w, 200, map[string]any{"data": map[string]any{"type": "metric-aggregate", "id": "x", "attributes": map[string]any{
			"dates": dates, "data": []any{map[string]any{"dimensions": []any{}, "measurements": map[string]any{"count": counts, "sum_value": sums}}}}}})
	default:
		soakJSON(w, 404, map[string]any{"errors": []any{map[string]any{"status": "404", "code": "not_found", "title": "Not found"}}})
	}
}
