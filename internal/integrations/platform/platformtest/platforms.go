package platformtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"
)

// WriteError answers with platform p's documented error body for status:
// Triple Whale's {"success":false,"message"}, HubSpot's {"status":"error",
// "message","correlationId","category"} (with policyName on a 429) and
// Klaviyo's JSON:API {"errors":[...]}. An empty code or message gets the
// platform's usual one for the status. It sets no Retry-After.
func WriteError(w http.ResponseWriter, p Platform, status int, code, message string) {
	if message == "" {
		message = defaultMessage(p, status)
	}
	switch p {
	case TripleWhale:
		writeJSON(w, status, "application/json", map[string]any{"success": false, "message": message})
	case HubSpot:
		if code == "" {
			code = map[int]string{401: "INVALID_AUTHENTICATION", 403: "MISSING_SCOPES", 404: "OBJECT_NOT_FOUND", 400: "VALIDATION_ERROR"}[status]
		}
		body := map[string]any{"status": "error", "message": message, "correlationId": fmt.Sprintf("fake-%d", status)}
		if status == http.StatusTooManyRequests {
			body["errorType"], body["policyName"] = "RATE_LIMIT", "TEN_SECONDLY_ROLLING"
		} else {
			if code == "" {
				code = "INTERNAL_ERROR"
			}
			body["category"] = code
		}
		writeJSON(w, status, "application/json", body)
	default:
		if code == "" {
			code = map[int]string{400: "invalid", 401: "not_authenticated", 403: "permission_denied", 404: "not_found", 429: "throttled"}[status]
		}
		if code == "" {
			code = "error"
		}
		writeJSON(w, status, "application/vnd.api+json", map[string]any{"errors": []map[string]any{{
			"id": "fake", "status": status, "code": code, "title": http.StatusText(status), "detail": message,
			"source": map[string]any{"pointer": "/data/"},
		}}})
	}
}

func defaultMessage(p Platform, status int) string {
	switch {
	case status == http.StatusUnauthorized && p == TripleWhale:
		return "Invalid API key"
	case status == http.StatusUnauthorized && p == HubSpot:
		return "Authentication credentials not found."
	case status == http.StatusUnauthorized:
		return "Missing or invalid private key."
	case status == http.StatusForbidden:
		return "You do not have permission to perform this action."
	case status == http.StatusTooManyRequests && p == HubSpot:
		return "You have reached your ten_secondly_rolling limit."
	case status == http.StatusTooManyRequests && p == Klaviyo:
		return "Request was throttled. Expected available in 1 second."
	case status == http.StatusTooManyRequests:
		return "Too many requests, slow down"
	case status >= 500:
		return "Internal server error"
	}
	return http.StatusText(status)
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// rfc3339 renders t for a JSON body, null when zero.
func rfc3339(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// tripleWhale serves GET /users/api-keys/me and POST
// /summary-page/get-data, summing the period's days.
func (f *Fake) tripleWhale(w http.ResponseWriter, r *http.Request, a *Account) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/users/api-keys/me":
		writeJSON(w, http.StatusOK, "application/json", map[string]any{
			"id": fmt.Sprintf("key-%d", a.n), "name": "omnify", "scopes": []string{"summary-page:read"}, "shopDomain": a.shop})
	case r.Method == http.MethodPost && r.URL.Path == "/summary-page/get-data":
		var body struct {
			ShopDomain string `json:"shopDomain"`
			Period     struct {
				Start string `json:"start"`
				End   string `json:"end"`
			} `json:"period"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.ShopDomain != a.shop {
			WriteError(w, TripleWhale, http.StatusBadRequest, "", "shopDomain and period {start, end} are required")
			return
		}
		start, err1 := time.Parse(time.DateOnly, body.Period.Start)
		end, err2 := time.Parse(time.DateOnly, body.Period.End)
		if err1 != nil || err2 != nil || end.Before(start) || end.Sub(start) > 366*24*time.Hour {
			WriteError(w, TripleWhale, http.StatusBadRequest, "", "period {start, end} must be dates, start first")
			return
		}
		sum := a.Totals(start, end)
		a.mu.Lock()
		a.summaries = append(a.summaries, body.Period.Start)
		a.mu.Unlock()
		// Values come as numbers or as numeric strings, as the real API
		// sends them, and among metrics the clients do not read.
		writeJSON(w, http.StatusOK, "application/json", map[string]any{"metrics": []any{
			map[string]any{"id": "sales", "title": "Order Revenue", "values": map[string]any{"current": sum.Revenue, "previous": 0}},
			map[string]any{"id": "blendedAds", "title": "Blended Ad Spend", "values": map[string]any{"current": strconv.FormatFloat(sum.AdSpend, 'f', -1, 64)}},
			map[string]any{"id": "roas", "title": "Blended ROAS", "values": map[string]any{"current": sum.ROAS()}},
			map[string]any{"id": "orders", "title": "Orders", "values": map[string]any{"current": sum.Orders}},
			map[string]any{"id": "shopifyAov", "title": "AOV", "values": map[string]any{"current": sum.AverageOrderValue()}},
			map[string]any{"id": "totalNetProfit", "title": "Net Profit", "values": map[string]any{"current": strconv.FormatFloat(sum.NetProfit, 'f', -1, 64)}},
			map[string]any{"id": "someMetricWeIgnore", "values": map[string]any{"current": "N/A"}},
		}})
	default:
		WriteError(w, TripleWhale, http.StatusNotFound, "", "no route "+r.Method+" "+r.URL.Path)
	}
}

// hubSpot serves the CRM v3 list endpoints of deals and contacts, paged
// with limit and after.
func (f *Fake) hubSpot(w http.ResponseWriter, r *http.Request, a *Account) {
	if r.Method != http.MethodGet {
		WriteError(w, HubSpot, http.StatusNotFound, "", "no route "+r.Method+" "+r.URL.Path)
		return
	}
	var results []any
	a.mu.Lock()
	switch r.URL.Path {
	case "/crm/v3/objects/deals":
		for _, d := range a.deals {
			created := firstTime(d.CreatedAt, baseTime())
			updated := firstTime(d.UpdatedAt, created)
			pipeline := d.Pipeline
			if pipeline == "" {
				pipeline = "default"
			}
			props := map[string]any{"hs_object_id": d.ID, "dealname": d.Name, "dealstage": d.Stage, "pipeline": pipeline,
				"amount": nil, "closedate": nil, "hs_lastmodifieddate": rfc3339(updated)}
			if d.Amount != nil {
				props["amount"] = strconv.FormatFloat(*d.Amount, 'f', -1, 64)
			}
			if d.CloseDate != nil {
				props["closedate"] = rfc3339(*d.CloseDate)
			}
			results = append(results, map[string]any{"id": d.ID, "properties": props,
				"createdAt": rfc3339(created), "updatedAt": rfc3339(updated), "archived": false})
		}
	case "/crm/v3/objects/contacts":
		for _, c := range a.contacts {
			updated := firstTime(c.UpdatedAt, c.CreatedAt)
			results = append(results, map[string]any{"id": c.ID, "properties": map[string]any{
				"hs_object_id": c.ID, "email": orNull(c.Email), "firstname": orNull(c.FirstName), "lastname": orNull(c.LastName),
				"createdate": rfc3339(c.CreatedAt)},
				"createdAt": rfc3339(c.CreatedAt), "updatedAt": rfc3339(updated), "archived": false})
		}
	default:
		a.mu.Unlock()
		WriteError(w, HubSpot, http.StatusNotFound, "", "no route "+r.Method+" "+r.URL.Path)
		return
	}
	a.mu.Unlock()
	limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
	if err != nil || limit < 1 {
		limit = 10 // HubSpot's default
	}
	limit = min(limit, 100, f.opts.HubSpotPageSize)
	start := 0
	if after := r.URL.Query().Get("after"); after != "" {
		if start, err = strconv.Atoi(after); err != nil || start < 0 {
			WriteError(w, HubSpot, http.StatusBadRequest, "VALIDATION_ERROR", "after must be a cursor this API returned")
			return
		}
	}
	end := min(start+limit, len(results))
	page := map[string]any{"results": append([]any{}, results[min(start, len(results)):end]...)}
	if end < len(results) {
		next := strconv.Itoa(end)
		page["paging"] = map[string]any{"next": map[string]any{"after": next,
			"link": "http://" + r.Host + r.URL.Path + "?after=" + next}}
	}
	writeJSON(w, http.StatusOK, "application/json", page)
}

// klaviyoMetrics are every account's Klaviyo metrics: id and name.
func klaviyoMetrics() [][2]string {
	return [][2]string{
		{"MetReceived", "Received Email"}, {"MetOpened", "Opened Email"}, {"MetViewed", "Viewed Product"}, {"MetClicked", "Clicked Email"}, {"MetOrdered", "Placed Order"},
	}
}

// klaviyoBound reads one bound of a metric-aggregate datetime filter.
var klaviyoBound = regexp.MustCompile(`^(greater-or-equal|less-than)\(datetime,([^)]+)\)$`)

// klaviyo serves the JSON:API accounts, campaigns, flows and metrics lists
// (paged through links.next with page[cursor]), POST
// /api/metric-aggregates and the Reporting API (klaviyoReport).
func (f *Fake) klaviyo(w http.ResponseWriter, r *http.Request, a *Account) {
	if r.Method == http.MethodPost && r.URL.Path == "/api/metric-aggregates" {
		f.klaviyoAggregates(w, r, a)
		return
	}
	if r.Method == http.MethodPost && (r.URL.Path == PathCampaignValues || r.URL.Path == PathFlowValues || r.URL.Path == PathFlowSeries) {
		f.klaviyoReport(w, r, a)
		return
	}
	if r.Method != http.MethodGet {
		WriteError(w, Klaviyo, http.StatusNotFound, "", "no route "+r.Method+" "+r.URL.Path)
		return
	}
	var data []map[string]any
	a.mu.Lock()
	switch r.URL.Path {
	case "/api/accounts":
		data = []map[string]any{{"type": "account", "id": fmt.Sprintf("AC%d", a.n), "attributes": map[string]any{
			"contact_information": map[string]any{"default_sender_name": a.org, "organization_name": a.org},
			"industry":            "Retail", "timezone": "UTC", "preferred_currency": "USD", "locale": "en-US"}}}
	case "/api/campaigns":
		if r.URL.Query().Get("filter") != "equals(messages.channel,'email')" {
			a.mu.Unlock()
			WriteError(w, Klaviyo, http.StatusBadRequest, "invalid", "A channel filter is required: equals(messages.channel,...)")
			return
		}
		for _, c := range a.campaigns {
			var send any
			if c.SendTime != nil {
				send = rfc3339(*c.SendTime)
			}
			updated := c.UpdatedAt
			if updated.IsZero() && c.SendTime != nil {
				updated = *c.SendTime
			}
			data = append(data, map[string]any{"type": "campaign", "id": c.ID, "attributes": map[string]any{
				"name": c.Name, "status": c.Status, "archived": false, "send_time": send, "scheduled_at": send,
				"created_at": rfc3339(c.CreatedAt), "updated_at": rfc3339(firstTime(updated, c.CreatedAt))}})
		}
	case "/api/flows":
		for _, fl := range a.flows {
			data = append(data, map[string]any{"type": "flow", "id": fl.ID, "attributes": map[string]any{
				"name": fl.Name, "status": fl.Status, "archived": false, "trigger_type": fl.TriggerType,
				"created": rfc3339(baseTime()), "updated": rfc3339(baseTime())}})
		}
	case "/api/metrics":
		for _, m := range klaviyoMetrics() {
			data = append(data, map[string]any{"type": "metric", "id": m[0], "attributes": map[string]any{
				"name": m[1], "created": rfc3339(baseTime()), "updated": rfc3339(baseTime())}})
		}
	default:
		a.mu.Unlock()
		WriteError(w, Klaviyo, http.StatusNotFound, "", "no route "+r.Method+" "+r.URL.Path)
		return
	}
	a.mu.Unlock()
	base := "http://" + r.Host
	start, _ := strconv.Atoi(r.URL.Query().Get("page[cursor]"))
	start = max(start, 0)
	end := min(start+f.opts.KlaviyoPageSize, len(data))
	links := map[string]any{"self": base + r.URL.RequestURI(), "next": nil, "prev": nil}
	if end < len(data) {
		q := r.URL.Query()
		q.Set("page[cursor]", strconv.Itoa(end))
		links["next"] = base + r.URL.Path + "?" + q.Encode()
	}
	writeJSON(w, http.StatusOK, "application/vnd.api+json", map[string]any{"data": append([]map[string]any{}, data[min(start, len(data)):end]...), "links": links})
}

// klaviyoAggregates answers a metric-aggregate query by day.
func (f *Fake) klaviyoAggregates(w http.ResponseWriter, r *http.Request, a *Account) {
	var body struct {
		Data struct {
			Type       string `json:"type"`
			Attributes struct {
				MetricID string   `json:"metric_id"`
				Interval string   `json:"interval"`
				Filter   []string `json:"filter"`
			} `json:"attributes"`
		} `json:"data"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Data.Type != "metric-aggregate" || body.Data.Attributes.Interval != "day" {
		WriteError(w, Klaviyo, http.StatusBadRequest, "invalid", "metric_id, interval and a datetime filter are required")
		return
	}
	var from, to time.Time
	for _, f := range body.Data.Attributes.Filter {
		m := klaviyoBound.FindStringSubmatch(f)
		if m == nil {
			continue
		}
		t, err := time.Parse(time.RFC3339, m[2])
		if err != nil {
			WriteError(w, Klaviyo, http.StatusBadRequest, "invalid", "bad datetime in filter")
			return
		}
		if m[1] == "greater-or-equal" {
			from = t.UTC()
		} else {
			to = t.UTC()
		}
	}
	value := map[string]func(Figures) (float64, float64){
		"MetReceived": func(f Figures) (float64, float64) { return f.EmailsReceived, 0 },
		"MetOpened":   func(f Figures) (float64, float64) { return f.EmailsOpened, 0 },
		"MetViewed":   func(f Figures) (float64, float64) { return f.EmailsOpened / 3, 0 },
		"MetClicked":  func(f Figures) (float64, float64) { return f.EmailsClicked, 0 },
		"MetOrdered":  func(f Figures) (float64, float64) { return f.EmailOrders, f.EmailRevenue },
	}[body.Data.Attributes.MetricID]
	if value == nil || from.IsZero() || to.IsZero() || !to.After(from) || to.Sub(from) > 366*24*time.Hour {
		WriteError(w, Klaviyo, http.StatusBadRequest, "invalid", "an existing metric_id and a datetime range of at most a year are required")
		return
	}
	var dates []string
	var counts, sums []float64
	for d := utcDay(from); d.Before(to); d = d.AddDate(0, 0, 1) {
		c, s := value(a.Figures(d))
		dates = append(dates, d.Format("2006-01-02T15:04:05+00:00"))
		counts, sums = append(counts, c), append(sums, s)
	}
	writeJSON(w, http.StatusOK, "application/vnd.api+json", map[string]any{
		"data": map[string]any{"type": "metric-aggregate", "id": "agg", "attributes": map[string]any{
			"dates": dates, "data": []map[string]any{{"dimensions": []string{}, "measurements": map[string]any{"count": counts, "sum_value": sums}}},
		}},
		"links": map[string]any{"self": "http://" + r.Host + r.URL.Path},
	})
}
