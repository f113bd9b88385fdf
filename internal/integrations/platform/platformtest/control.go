package platformtest

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"time"
)

// AccountView is an account as the control API shows it: its settings and
// its current records.
type AccountView struct {
	Name             string         `json:"name"`
	N                int            `json:"n"`
	Keys             Keys           `json:"keys"`
	ShopDomain       string         `json:"shopDomain"`
	OrganizationName string         `json:"organizationName"`
	Deals            []Deal         `json:"deals"`
	Contacts         []Contact      `json:"contacts"`
	Campaigns        []Campaign     `json:"campaigns"`
	Flows            []Flow         `json:"flows"`
	FaultsServed     map[string]int `json:"faultsServed"`
	Counts           map[string]int `json:"counts"`
	SummaryDays      []string       `json:"summaryDays"`
	ReportCalls      []ReportCall   `json:"reportCalls"`
}

// View returns the account as the control API shows it.
func (a *Account) View() AccountView {
	return AccountView{
		Name: a.name, N: a.n, Keys: a.keys, ShopDomain: a.shop, OrganizationName: a.org,
		Deals: a.Deals(), Contacts: a.Contacts(), Campaigns: a.Campaigns(), Flows: a.Flows(),
		FaultsServed: a.FaultsServed(), Counts: a.Counts(), SummaryDays: a.SummaryDays(), ReportCalls: a.ReportCalls(),
	}
}

// ControlHandler returns the HTTP API through which another process (the
// end-to-end tests, through cmd/platformfake) drives the Fake. Bodies and
// answers are JSON:
//
//	GET    /_control/urls                     the platforms' URLs
//	POST   /_control/accounts                 add an account (an AccountConfig; Daily cannot be set)
//	GET    /_control/accounts/{name}          an AccountView
//	GET    /_control/accounts/{name}/figures?from=YYYY-MM-DD&to=YYYY-MM-DD
//	                                          {"total": Figures, "days": {"YYYY-MM-DD": Figures}}
//	GET    /_control/accounts/{name}/attributed?from=YYYY-MM-DD&to=YYYY-MM-DD
//	                                          what Klaviyo attributes to email for sends in the period:
//	                                          {"total": Attribution, "campaigns": {id: Attribution}, "flows": {id: Attribution}}
//	POST   /_control/accounts/{name}/flow-series {"on": false} withdraws the flow series report (404)
//	POST   /_control/accounts/{name}/revoke   {"platform": "hubspot", "status": 401}
//	POST   /_control/accounts/{name}/restore  {"platform": "hubspot"}
//	POST   /_control/accounts/{name}/faults   a Fault
//	DELETE /_control/accounts/{name}/faults   remove every fault
//	POST   /_control/accounts/{name}/deals    add a Deal (a generated one for {})
//	DELETE /_control/accounts/{name}/deals/{id}
//	POST   /_control/accounts/{name}/evolve   Account.Evolve
//	GET    /_control/counts                   {"total": n, "counts": {"METHOD path": n}}
//	GET    /_control/requests?platform=&path= the request log, oldest first
//	POST   /_control/drop-connections         Fake.DropConnections
//
// Errors are {"error": "..."} with a 4xx status.
func (f *Fake) ControlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_control/urls", func(w http.ResponseWriter, r *http.Request) {
		reply(w, http.StatusOK, f.URLs())
	})
	mux.HandleFunc("POST /_control/accounts", func(w http.ResponseWriter, r *http.Request) {
		var cfg AccountConfig
		if !decode(w, r, &cfg) {
			return
		}
		a, err := f.addAccount(cfg)
		if err != nil {
			reply(w, http.StatusConflict, map[string]string{"error": err.Error()})
			return
		}
		reply(w, http.StatusCreated, a.View())
	})
	account := func(fn func(w http.ResponseWriter, r *http.Request, a *Account)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			a := f.Account(r.PathValue("name"))
			if a == nil {
				reply(w, http.StatusNotFound, map[string]string{"error": "no account " + r.PathValue("name")})
				return
			}
			fn(w, r, a)
		}
	}
	mux.HandleFunc("GET /_control/accounts/{name}", account(func(w http.ResponseWriter, r *http.Request, a *Account) {
		reply(w, http.StatusOK, a.View())
	}))
	mux.HandleFunc("GET /_control/accounts/{name}/figures", account(func(w http.ResponseWriter, r *http.Request, a *Account) {
		from, err1 := time.Parse(time.DateOnly, r.URL.Query().Get("from"))
		to, err2 := time.Parse(time.DateOnly, r.URL.Query().Get("to"))
		if err := errors.Join(err1, err2); err != nil || to.Before(from) || to.Sub(from) > 400*24*time.Hour {
			reply(w, http.StatusBadRequest, map[string]string{"error": "from and to must be dates, from first, at most 400 days apart"})
			return
		}
		days := map[string]Figures{}
		for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
			days[d.Format(time.DateOnly)] = a.Figures(d)
		}
		reply(w, http.StatusOK, map[string]any{"total": a.Totals(from, to), "days": days})
	}))
	mux.HandleFunc("GET /_control/accounts/{name}/attributed", account(func(w http.ResponseWriter, r *http.Request, a *Account) {
		from, err1 := time.Parse(time.DateOnly, r.URL.Query().Get("from"))
		to, err2 := time.Parse(time.DateOnly, r.URL.Query().Get("to"))
		if err := errors.Join(err1, err2); err != nil || to.Before(from) || to.Sub(from) > 400*24*time.Hour {
			reply(w, http.StatusBadRequest, map[string]string{"error": "from and to must be dates, from first, at most 400 days apart"})
			return
		}
		reply(w, http.StatusOK, map[string]any{"total": a.Attributed(from, to),
			"campaigns": a.CampaignAttribution(from, to), "flows": a.FlowAttribution(from, to)})
	}))
	mux.HandleFunc("POST /_control/accounts/{name}/flow-series", account(func(w http.ResponseWriter, r *http.Request, a *Account) {
		var body struct {
			On bool `json:"on"`
		}
		if decode(w, r, &body) {
			a.SetFlowSeries(body.On)
			reply(w, http.StatusOK, map[string]any{})
		}
	}))
	type platformBody struct {
		Platform Platform `json:"platform"`
		Status   int      `json:"status"`
	}
	mux.HandleFunc("POST /_control/accounts/{name}/revoke", account(func(w http.ResponseWriter, r *http.Request, a *Account) {
		var p platformBody
		if decode(w, r, &p) && known(w, p.Platform) {
			a.Revoke(p.Platform, p.Status)
			reply(w, http.StatusOK, map[string]any{})
		}
	}))
	mux.HandleFunc("POST /_control/accounts/{name}/restore", account(func(w http.ResponseWriter, r *http.Request, a *Account) {
		var p platformBody
		if decode(w, r, &p) && known(w, p.Platform) {
			a.Restore(p.Platform)
			reply(w, http.StatusOK, map[string]any{})
		}
	}))
	mux.HandleFunc("POST /_control/accounts/{name}/faults", account(func(w http.ResponseWriter, r *http.Request, a *Account) {
		var fault Fault
		if decode(w, r, &fault) && (fault.Platform == "" || known(w, fault.Platform)) {
			a.InjectFault(fault)
			reply(w, http.StatusOK, map[string]any{})
		}
	}))
	mux.HandleFunc("DELETE /_control/accounts/{name}/faults", account(func(w http.ResponseWriter, r *http.Request, a *Account) {
		a.ClearFaults()
		reply(w, http.StatusOK, map[string]any{})
	}))
	mux.HandleFunc("POST /_control/accounts/{name}/deals", account(func(w http.ResponseWriter, r *http.Request, a *Account) {
		var d Deal
		if decode(w, r, &d) {
			reply(w, http.StatusCreated, a.AddDeal(d))
		}
	}))
	mux.HandleFunc("DELETE /_control/accounts/{name}/deals/{id}", account(func(w http.ResponseWriter, r *http.Request, a *Account) {
		if !a.DeleteDeal(r.PathValue("id")) {
			reply(w, http.StatusNotFound, map[string]string{"error": "no deal " + r.PathValue("id")})
			return
		}
		reply(w, http.StatusOK, map[string]any{})
	}))
	mux.HandleFunc("POST /_control/accounts/{name}/evolve", account(func(w http.ResponseWriter, r *http.Request, a *Account) {
		a.Evolve()
		reply(w, http.StatusOK, a.View())
	}))
	mux.HandleFunc("GET /_control/counts", func(w http.ResponseWriter, r *http.Request) {
		reply(w, http.StatusOK, map[string]any{"total": f.Total(), "counts": f.Counts()})
	})
	mux.HandleFunc("GET /_control/requests", func(w http.ResponseWriter, r *http.Request) {
		p, path := Platform(r.URL.Query().Get("platform")), r.URL.Query().Get("path")
		out := []Request{}
		for _, req := range f.Requests() {
			if (p == "" || req.Platform == p) && (path == "" || req.Path == path) {
				out = append(out, req)
			}
		}
		reply(w, http.StatusOK, out)
	})
	mux.HandleFunc("POST /_control/drop-connections", func(w http.ResponseWriter, r *http.Request) {
		f.DropConnections()
		reply(w, http.StatusOK, map[string]any{})
	})
	return mux
}

func reply(w http.ResponseWriter, status int, v any) {
	writeJSON(w, status, "application/json", v)
}

// decode reads a JSON body into v; an empty body leaves v as it is.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, 16<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		reply(w, http.StatusBadRequest, map[string]string{"error": "invalid JSON body: " + err.Error()})
		return false
	}
	return true
}

// known answers 400 unless p is a platform.
func known(w http.ResponseWriter, p Platform) bool {
	if slices.Contains(Platforms(), p) {
		return true
	}
	reply(w, http.StatusBadRequest, map[string]string{"error": `platform must be "triplewhale", "hubspot" or "klaviyo"`})
	return false
}
