package platformtest

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Platform names one of the faked platforms.
type Platform string

// The platforms a Fake serves.
const (
	TripleWhale Platform = "triplewhale"
	HubSpot     Platform = "hubspot"
	Klaviyo     Platform = "klaviyo"
)

// Platforms returns every platform a Fake serves, in a fixed order.
func Platforms() []Platform { return []Platform{TripleWhale, HubSpot, Klaviyo} }

// DealStages returns the deal stages generated deals cycle through; the last
// two are closed.
func DealStages() []string {
	return []string{"appointmentscheduled", "qualifiedtobuy", "closedwon", "closedlost"}
}

// Figures are one day's numbers of an account (or their sum over several
// days): Triple Whale's summary metrics and Klaviyo's metric aggregates.
type Figures struct {
	Revenue   float64 `json:"revenue"`   // Triple Whale "sales"
	AdSpend   float64 `json:"adSpend"`   // Triple Whale "blendedAds"
	Orders    float64 `json:"orders"`    // Triple Whale "orders"
	NetProfit float64 `json:"netProfit"` // Triple Whale "totalNetProfit"
	// EmailsReceived, EmailsOpened and EmailsClicked are the counts of
	// Klaviyo's "Received Email", "Opened Email" and "Clicked Email"
	// metrics. Generated figures have Received >= Opened >= Clicked; figures
	// a test sets are served as they are.
	EmailsReceived float64 `json:"emailsReceived"`
	EmailsOpened   float64 `json:"emailsOpened"`
	EmailsClicked  float64 `json:"emailsClicked"`
	// EmailOrders and EmailRevenue are the count and the summed value of
	// Klaviyo's "Placed Order" metric. On a store whose shop sends its
	// orders to Klaviyo (the usual Shopify integration) that is every
	// order, not what email earned: generated figures have the shop's
	// orders and revenue here. What Klaviyo attributes to email is in the
	// Reporting API (Account.Attributed).
	EmailOrders  float64 `json:"emailOrders"`
	EmailRevenue float64 `json:"emailRevenue"`
}

// ROAS is Revenue / AdSpend, as Triple Whale reports it; 0 without spend.
func (f Figures) ROAS() float64 {
	if f.AdSpend == 0 {
		return 0
	}
	return f.Revenue / f.AdSpend
}

// AverageOrderValue is Revenue / Orders, as Triple Whale's "shopifyAov"
// reports it; 0 without orders.
func (f Figures) AverageOrderValue() float64 {
	if f.Orders == 0 {
		return 0
	}
	return f.Revenue / f.Orders
}

// Add returns the field-by-field sum of f and g.
func (f Figures) Add(g Figures) Figures {
	return Figures{
		Revenue: f.Revenue + g.Revenue, AdSpend: f.AdSpend + g.AdSpend, Orders: f.Orders + g.Orders,
		NetProfit: f.NetProfit + g.NetProfit, EmailsReceived: f.EmailsReceived + g.EmailsReceived, EmailsOpened: f.EmailsOpened + g.EmailsOpened,
		EmailsClicked: f.EmailsClicked + g.EmailsClicked, EmailOrders: f.EmailOrders + g.EmailOrders,
		EmailRevenue: f.EmailRevenue + g.EmailRevenue,
	}
}

// DefaultFigures is the generator of the figures of account number n on a
// day, used when an AccountConfig sets neither Days nor Daily. Every value
// is a whole or half number, so sums over any period are exact in float64
// and compare with ==; every day has revenue, ad spend and orders, and
// emails received (100 + 10 × day of month), opened (3 × day) and clicked
// (day), so Received > Opened > Clicked. "Placed Order" is every order of
// the shop, as on a Shopify-connected Klaviyo account.
func DefaultFigures(n int, day time.Time) Figures {
	d := day.UTC().Day()
	revenue := float64(n*(100+d)) + 0.5*float64(day.UTC().YearDay()%2)
	orders := float64(1 + d%3)
	return Figures{
		Revenue:        revenue,
		AdSpend:        float64(20*n + d%5),
		Orders:         orders,
		NetProfit:      revenue / 4,
		EmailsReceived: float64(100 + 10*d),
		EmailsOpened:   float64(3 * d),
		EmailsClicked:  float64(d),
		EmailOrders:    orders,
		EmailRevenue:   revenue,
	}
}

// Attribution is what Klaviyo's Reporting API attributes to a campaign or
// a flow: the value and the number of "Placed Order" conversions.
type Attribution struct {
	Revenue     float64 `json:"revenue"`
	Conversions float64 `json:"conversions"`
}

// Add returns the sum of a and b.
func (a Attribution) Add(b Attribution) Attribution {
	return Attribution{Revenue: a.Revenue + b.Revenue, Conversions: a.Conversions + b.Conversions}
}

// DefaultFlowAttribution is the generator of what the i-th flow (from 0)
// of account number n earned with the emails it sent on a day, used when
// an AccountConfig sets neither FlowDays nor FlowDaily: whole and half
// numbers, zero one day in four, and well below the day's orders.
func DefaultFlowAttribution(n, i int, day time.Time) Attribution {
	d := day.UTC().Day() % 4
	return Attribution{Revenue: float64(n*(i+1)*d) * 10.5, Conversions: float64(d)}
}

// Deal is a HubSpot CRM deal.
type Deal struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Amount is nil for a deal without an amount (HubSpot sends null).
	Amount *float64 `json:"amount"`
	Stage  string   `json:"stage"`
	// Pipeline is the pipeline id; "" means "default".
	Pipeline  string     `json:"pipeline,omitempty"`
	CloseDate *time.Time `json:"closeDate,omitempty"`
	// CreatedAt and UpdatedAt are zero for 1 January 2026.
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Contact is a HubSpot CRM contact; empty strings are sent as null.
type Contact struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	FirstName string    `json:"firstName"`
	LastName  string    `json:"lastName"`
	CreatedAt time.Time `json:"createdAt"`
	// UpdatedAt is CreatedAt when zero.
	UpdatedAt time.Time `json:"updatedAt"`
}

// Campaign is a Klaviyo email campaign.
type Campaign struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
	// SendTime is nil for a campaign not sent or scheduled.
	SendTime  *time.Time `json:"sendTime,omitempty"`
	CreatedAt time.Time  `json:"createdAt"`
	// UpdatedAt is SendTime, else CreatedAt, when zero.
	UpdatedAt time.Time `json:"updatedAt"`
	// Revenue and Conversions are what the Reporting API attributes to
	// the sent campaign, reported on its send date and split over two
	// email messages.
	Revenue     float64 `json:"revenue,omitempty"`
	Conversions float64 `json:"conversions,omitempty"`
}

// Flow is a Klaviyo flow.
type Flow struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Status      string `json:"status"`
	TriggerType string `json:"triggerType"`
}

// Keys are the credentials an account is opened with, one per platform.
type Keys struct {
	TripleWhale string `json:"tripleWhale"`
	HubSpot     string `json:"hubSpot"`
	Klaviyo     string `json:"klaviyo"`
}

// Of returns the key of platform p.
func (k Keys) Of(p Platform) string {
	switch p {
	case TripleWhale:
		return k.TripleWhale
	case HubSpot:
		return k.HubSpot
	case Klaviyo:
		return k.Klaviyo
	}
	return ""
}

// Fault is a failure an account's calls are answered with. A call matches
// when its platform and path match (empty matches any); every matching call
// is counted, and the Every-th one gets the fault. Faults are checked after
// the key is accepted, in the order they were injected, and the first that
// fires answers the call.
type Fault struct {
	// Platform limits the fault to one platform; "" is every platform.
	Platform Platform `json:"platform,omitempty"`
	// Path limits the fault to one path relative to the platform's base
	// URL, such as "/crm/v3/objects/deals"; "" is every path.
	Path string `json:"path,omitempty"`
	// Status is the HTTP status answered, with the platform's error body:
	// 429 (with Retry-After), 500, 503, ...
	Status int `json:"status,omitempty"`
	// Drop closes the connection without an answer instead.
	Drop bool `json:"drop,omitempty"`
	// Every makes every Every-th matching call fail; 0 or 1 is every call.
	Every int `json:"every,omitempty"`
	// Times stops the fault after it fired this many times; 0 never stops.
	Times int `json:"times,omitempty"`
	// RetryAfter is the Retry-After header of a 429 in seconds; 0 is 1.
	RetryAfter int `json:"retryAfter,omitempty"`
}

// AccountConfig describes an account added with Fake.AddAccount. Zero
// fields get values generated from the account's number N, so
// AccountConfig{} is a complete account.
type AccountConfig struct {
	// Name identifies the account in the control API and in Request; ""
	// is "account-N".
	Name string `json:"name,omitempty"`
	// N numbers the account and scales its generated data, so that
	// accounts differ; 0 is the order in which it was added, from 1.
	N int `json:"n,omitempty"`
	// Keys open the account; an empty one is generated from N.
	Keys Keys `json:"keys"`
	// ShopDomain is the shop Triple Whale answers for; "" is
	// "shop-N.myshopify.com".
	ShopDomain string `json:"shopDomain,omitempty"`
	// OrganizationName is the Klaviyo account's organization name; "" is
	// "Store N".
	OrganizationName string `json:"organizationName,omitempty"`
	// Days, when not nil, are the only days with figures, by YYYY-MM-DD;
	// every other day is zero.
	Days map[string]Figures `json:"days,omitempty"`
	// Daily, when Days is nil, returns a day's figures; nil is
	// DefaultFigures(N, day).
	Daily func(day time.Time) Figures `json:"-"`
	// Deals, Contacts, Campaigns and Flows, when not nil, are the account's
	// records; otherwise DealCount, ContactCount, CampaignCount and
	// FlowCount records are generated (5, 3, 2 and 1 when zero).
	Deals         []Deal     `json:"deals,omitempty"`
	Contacts      []Contact  `json:"contacts,omitempty"`
	Campaigns     []Campaign `json:"campaigns,omitempty"`
	Flows         []Flow     `json:"flows,omitempty"`
	DealCount     int        `json:"dealCount,omitempty"`
	ContactCount  int        `json:"contactCount,omitempty"`
	CampaignCount int        `json:"campaignCount,omitempty"`
	FlowCount     int        `json:"flowCount,omitempty"`
	// Faults are injected from the start, as with Account.InjectFault.
	Faults []Fault `json:"faults,omitempty"`
	// FlowDays, when not nil, are the only days on which flows' emails
	// earned something, by YYYY-MM-DD, then by flow id.
	FlowDays map[string]map[string]Attribution `json:"flowDays,omitempty"`
	// FlowDaily, when FlowDays is nil, returns what the i-th flow earned on
	// a day; nil is DefaultFlowAttribution(N, i, day).
	FlowDaily func(i int, day time.Time) Attribution `json:"-"`
	// NoFlowSeries makes POST /api/flow-series-reports answer 404, as for
	// an account or revision without it (Account.SetFlowSeries).
	NoFlowSeries bool `json:"noFlowSeries,omitempty"`
}

// Account is one store's account on all three platforms. Its methods are
// safe for concurrent use, also while the Fake serves it.
type Account struct {
	name, shop, org string
	n               int
	keys            Keys
	days            map[string]Figures
	daily           func(time.Time) Figures
	flowDays        map[string]map[string]Attribution
	flowDaily       func(int, time.Time) Attribution

	mu        sync.Mutex
	deals     []Deal // in the order HubSpot pages them
	contacts  []Contact
	campaigns []Campaign
	flows     []Flow
	seq       int // numbers generated records and their times
	revoked   map[Platform]int
	faults    []*faultState
	served    map[string]int // faults served, by "platform status" or "platform drop"
	calls     map[string]int // requests, by "METHOD path"
	summaries []string       // days of the Triple Whale summaries answered
	noSeries  bool
	reports   []ReportCall // Reporting API calls, in order
}

type faultState struct {
	Fault
	calls map[Platform]int
	fired int
}

// baseTime is the time of generated records: 1 January 2026, plus a minute
// per change.
func baseTime() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

func newAccount(cfg AccountConfig) *Account {
	n := cfg.N
	a := &Account{
		name: cfg.Name, shop: cfg.ShopDomain, org: cfg.OrganizationName, n: n, keys: cfg.Keys,
		days: cfg.Days, daily: cfg.Daily, flowDays: cfg.FlowDays, flowDaily: cfg.FlowDaily, noSeries: cfg.NoFlowSeries,
		revoked: map[Platform]int{}, served: map[string]int{}, calls: map[string]int{},
	}
	if a.flowDaily == nil {
		a.flowDaily = func(i int, day time.Time) Attribution { return DefaultFlowAttribution(n, i, day) }
	}
	if a.name == "" {
		a.name = fmt.Sprintf("account-%d", n)
	}
	if a.shop == "" {
		a.shop = fmt.Sprintf("shop-%d.myshopify.com", n)
	}
	if a.org == "" {
		a.org = fmt.Sprintf("Store %d", n)
	}
	if a.keys.TripleWhale == "" {
		a.keys.TripleWhale = fmt.Sprintf("tw-fake-%d-0123456789abcdef", n)
	}
	if a.keys.HubSpot == "" {
		a.keys.HubSpot = fmt.Sprintf("pat-na1-fake-%d-0123456789abcdef", n)
	}
	if a.keys.Klaviyo == "" {
		a.keys.Klaviyo = fmt.Sprintf("pk_fake%d0123456789abcdef", n)
	}
	if a.daily == nil {
		a.daily = func(day time.Time) Figures { return DefaultFigures(n, day) }
	}
	count := func(c, def int) int {
		if c <= 0 {
			return def
		}
		return c
	}
	if cfg.Deals != nil {
		a.deals = slices.Clone(cfg.Deals)
	} else {
		for range count(cfg.DealCount, 5) {
			a.deals = append(a.deals, a.newDeal())
		}
	}
	if cfg.Contacts != nil {
		a.contacts = slices.Clone(cfg.Contacts)
	} else {
		for range count(cfg.ContactCount, 3) {
			a.contacts = append(a.contacts, a.newContact())
		}
	}
	if cfg.Campaigns != nil {
		a.campaigns = slices.Clone(cfg.Campaigns)
	} else {
		a.campaigns = generateCampaigns(n, count(cfg.CampaignCount, 2))
	}
	if cfg.Flows != nil {
		a.flows = slices.Clone(cfg.Flows)
	} else {
		a.flows = generateFlows(n, count(cfg.FlowCount, 1))
	}
	for _, f := range cfg.Faults {
		a.InjectFault(f)
	}
	return a
}

// tick returns the time of the account's next change; every change gets a
// later one, so HubSpot's order by modification is strict. a.mu is held.
func (a *Account) tick() time.Time {
	a.seq++
	return baseTime().Add(time.Duration(a.seq) * time.Minute)
}

// newDeal generates a deal; a.mu is held. Whole and half amounts add up
// exactly in float64.
func (a *Account) newDeal() Deal {
	at := a.tick()
	stages := DealStages()
	amount := float64(100+a.seq*37%900) + 0.5*float64(a.seq%2)
	d := Deal{
		ID:        fmt.Sprintf("%d%06d", a.n, a.seq),
		Name:      fmt.Sprintf("Deal %d of store %d", a.seq, a.n),
		Amount:    &amount,
		Stage:     stages[a.seq%len(stages)],
		CreatedAt: at,
		UpdatedAt: at,
	}
	if d.Stage == "closedwon" || d.Stage == "closedlost" {
		d.CloseDate = &at
	}
	return d
}

// newContact generates a contact; a.mu is held.
func (a *Account) newContact() Contact {
	at := a.tick()
	return Contact{
		ID:        fmt.Sprintf("%d%06d", a.n, a.seq),
		Email:     fmt.Sprintf("c%d@store%d.example", a.seq, a.n),
		FirstName: "Contact" + strconv.Itoa(a.seq),
		LastName:  "Store" + strconv.Itoa(a.n),
		CreatedAt: at,
		UpdatedAt: at,
	}
}

func generateCampaigns(n, count int) []Campaign {
	out := make([]Campaign, count)
	for i := range out {
		created := baseTime().AddDate(0, 1, i)
		c := Campaign{ID: fmt.Sprintf("CA%d-%d", n, i+1), Name: fmt.Sprintf("Campaign %d of store %d", i+1, n),
			Status: "Sent", CreatedAt: created, Revenue: float64(n*(40+10*i)) + 0.5, Conversions: float64(2 + i)}
		if i == count-1 && count > 1 {
			c.Status, c.Revenue, c.Conversions = "Draft", 0, 0
		} else {
			sent := created.Add(24*time.Hour + 10*time.Hour)
			c.SendTime = &sent
		}
		out[i] = c
	}
	return out
}

func generateFlows(n, count int) []Flow {
	names := []string{"Welcome series", "Abandoned cart", "Browse abandonment"}
	out := make([]Flow, count)
	for i := range out {
		f := Flow{ID: fmt.Sprintf("FL%d-%d", n, i+1), Name: names[i%len(names)], Status: "live", TriggerType: "Added to List"}
		if i%2 == 1 {
			f.Status, f.TriggerType = "draft", "Metric"
		}
		out[i] = f
	}
	return out
}

// Name returns the account's name.
func (a *Account) Name() string { return a.name }

// N returns the account's number.
func (a *Account) N() int { return a.n }

// Keys returns the keys that open the account.
func (a *Account) Keys() Keys { return a.keys }

// Key returns the key that opens the account on platform p.
func (a *Account) Key(p Platform) string { return a.keys.Of(p) }

// ShopDomain returns the shop Triple Whale answers for.
func (a *Account) ShopDomain() string { return a.shop }

// OrganizationName returns the Klaviyo account's organization name.
func (a *Account) OrganizationName() string { return a.org }

// Figures returns the account's figures of day (a UTC calendar day).
func (a *Account) Figures(day time.Time) Figures {
	if a.days != nil {
		return a.days[day.UTC().Format(time.DateOnly)]
	}
	return a.daily(day)
}

// Totals returns the sum of the account's figures from from to to, both
// included, one UTC day at a time.
func (a *Account) Totals(from, to time.Time) Figures {
	var sum Figures
	for d := utcDay(from); !d.After(to); d = d.AddDate(0, 0, 1) {
		sum = sum.Add(a.Figures(d))
	}
	return sum
}

func utcDay(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// Deals returns a copy of the account's deals, in HubSpot's order.
func (a *Account) Deals() []Deal {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.deals)
}

// Contacts returns a copy of the account's contacts, in HubSpot's order.
func (a *Account) Contacts() []Contact {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.contacts)
}

// Campaigns returns a copy of the account's email campaigns.
func (a *Account) Campaigns() []Campaign {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.campaigns)
}

// Flows returns a copy of the account's flows.
func (a *Account) Flows() []Flow {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.flows)
}

// AddDeal appends d to the account's deals, or generates one when d.ID is
// "", and returns the deal added.
func (a *Account) AddDeal(d Deal) Deal {
	a.mu.Lock()
	defer a.mu.Unlock()
	if d.ID == "" {
		d = a.newDeal()
	}
	a.deals = append(a.deals, d)
	return d
}

// DeleteDeal removes the deal with id and reports whether there was one.
func (a *Account) DeleteDeal(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := len(a.deals)
	a.deals = slices.DeleteFunc(a.deals, func(d Deal) bool { return d.ID == id })
	return len(a.deals) != n
}

// AddContact appends c to the account's contacts, or generates one when
// c.ID is "", and returns the contact added.
func (a *Account) AddContact(c Contact) Contact {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c.ID == "" {
		c = a.newContact()
	}
	a.contacts = append(a.contacts, c)
	return c
}

// Evolve changes the CRM as a sales team does between two syncs: a new deal
// and contact, one deal moved to the next stage with 25 more in amount, and
// every other time one deal deleted. The next sync must write it all and
// delete what is gone.
func (a *Account) Evolve() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.deals = append(a.deals, a.newDeal())
	a.contacts = append(a.contacts, a.newContact())
	stages := DealStages()
	d := &a.deals[a.seq*7%len(a.deals)]
	amount := 25.0
	if d.Amount != nil {
		amount += *d.Amount
	}
	d.Amount = &amount
	d.Stage = stages[(slices.Index(stages, d.Stage)+1)%len(stages)]
	d.UpdatedAt = a.tick()
	if a.seq%2 == 0 {
		i := a.seq * 13 % len(a.deals)
		a.deals = slices.Delete(a.deals, i, i+1)
	}
}

// Revoke makes platform p refuse the account's key from now on with status
// (401 when 0; 403 for a key that lost its permissions), as when the shop
// owner deletes the key on the platform.
func (a *Account) Revoke(p Platform, status int) {
	if status == 0 {
		status = 401
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.revoked[p] = status
}

// Restore undoes Revoke.
func (a *Account) Restore(p Platform) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.revoked, p)
}

// InjectFault adds a fault to the account's calls.
func (a *Account) InjectFault(f Fault) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.faults = append(a.faults, &faultState{Fault: f, calls: map[Platform]int{}})
}

// ClearFaults removes every injected fault.
func (a *Account) ClearFaults() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.faults = nil
}

// FaultsServed returns how many faults the account was served, by
// "platform status" (such as "hubspot 429") or "platform drop".
func (a *Account) FaultsServed() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return maps.Clone(a.served)
}

// Count returns how many requests carrying the account's key "METHOD path"
// got, the path relative to the platform's base URL.
func (a *Account) Count(methodPath string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[methodPath]
}

// Counts returns the account's requests by "METHOD path".
func (a *Account) Counts() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return maps.Clone(a.calls)
}

// SummaryDays returns the days of every Triple Whale summary answered for
// the account, in order, as YYYY-MM-DD (the start of each period).
func (a *Account) SummaryDays() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.summaries)
}

// verdict is what gate decided about a call.
type verdict struct {
	status     int
	drop       bool
	retryAfter int
}

// gate counts a call to p's path and applies revocation and faults.
func (a *Account) gate(p Platform, methodPath, path string) verdict {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls[methodPath]++
	if status := a.revoked[p]; status != 0 {
		return verdict{status: status}
	}
	var v verdict
	for _, f := range a.faults {
		if (f.Platform != "" && f.Platform != p) || (f.Path != "" && f.Path != path) {
			continue
		}
		f.calls[p]++
		if v != (verdict{}) || (f.Times > 0 && f.fired >= f.Times) || (f.Every > 1 && f.calls[p]%f.Every != 0) {
			continue
		}
		f.fired++
		v = verdict{status: f.Status, drop: f.Drop, retryAfter: f.RetryAfter}
		if v.status == 0 && !v.drop {
			v.status = 500
		}
		if v.retryAfter <= 0 {
			v.retryAfter = 1
		}
	}
	switch {
	case v.drop:
		a.served[string(p)+" drop"]++
	case v.status != 0:
		a.served[string(p)+" "+strconv.Itoa(v.status)]++
	}
	return v
}
