package legal

import (
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/page"
)

// actor is a signed-in user and where they accept from.
type actor struct {
	*authz.Principal
	Origin
}

// newActor returns an actor of a new user in org.
func newActor(org bson.ObjectID, role authz.Role) actor {
	return actor{
		Principal: &authz.Principal{UserID: bson.NewObjectID(), OrganizationID: org, Role: role},
		Origin:    Origin{IP: "203.0.113.7", UserAgent: "Mozilla/5.0 Test"},
	}
}

// accept accepts the documents or fails the test.
func (e testEnv) accept(t *testing.T, a actor, docs ...Document) []Acceptance {
	t.Helper()
	ids := make([]bson.ObjectID, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	recs, err := e.svc.Accept(t.Context(), a.Principal, a.Origin, ids)
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	return recs
}

func TestAcceptRecordsWhoAcceptedWhatWhenAndWhere(t *testing.T) {
	e := newEnv(t, true)
	terms, privacy := e.current(t, TermsOfService), e.current(t, PrivacyPolicy)
	a := newActor(bson.NewObjectID(), authz.RoleMember)
	recs := e.accept(t, a, privacy, terms)
	if len(recs) != 2 {
		t.Fatalf("got %d records, want 2", len(recs))
	}
	for i, d := range []Document{privacy, terms} {
		r := recs[i]
		if r.ID.IsZero() || r.UserID != a.UserID || r.OrganizationID != a.OrganizationID || r.Role != authz.RoleMember ||
			r.DocumentID != d.ID || r.Kind != d.Kind || r.Version != d.Version || r.BodySHA256 != d.BodySHA256 ||
			r.IP != a.IP || r.UserAgent != a.UserAgent || r.AcceptedAt.Location() != time.UTC || r.AcceptedAt.Before(epoch()) {
			t.Errorf("record %d = %+v, want one for %s version %d", i, r, d.Kind, d.Version)
		}
	}
	mine, err := e.svc.MyAcceptances(t.Context(), a.Principal, page.Request{First: 20})
	if err != nil {
		t.Fatalf("MyAcceptances: %v", err)
	}
	if stored := mine.Items; len(stored) != 2 || stored[0] != recs[1] || stored[1] != recs[0] || mine.TotalCount != 2 {
		t.Errorf("MyAcceptances = %+v, want the two records newest first", mine)
	}
}

func TestAcceptAgainKeepsTheFirstRecord(t *testing.T) {
	e := newEnv(t, true)
	terms, privacy := e.current(t, TermsOfService), e.current(t, PrivacyPolicy)
	a := newActor(bson.NewObjectID(), authz.RoleOwner)
	first := e.accept(t, a, terms)

	later := a
	later.IP, later.UserAgent = "198.51.100.1", "Other browser"
	again := e.accept(t, later, privacy, terms)
	if again[1] != first[0] {
		t.Errorf("second acceptance of terms = %+v, want the first record %+v", again[1], first[0])
	}
	if again[0].IP != later.IP || again[0].Kind != PrivacyPolicy {
		t.Errorf("new acceptance of privacy = %+v, want a new record", again[0])
	}
	if n := e.count(t, acceptancesCollection); n != 2 {
		t.Errorf("%d acceptance records, want 2", n)
	}
}

func TestAcceptConcurrentlyRecordsOnce(t *testing.T) {
	e := newEnv(t, true)
	terms := e.current(t, TermsOfService)
	a := newActor(bson.NewObjectID(), authz.RoleMember)
	const clients = 4
	ids := make([]bson.ObjectID, clients)
	errs := make([]error, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			recs, err := e.svc.Accept(t.Context(), a.Principal, a.Origin, []bson.ObjectID{terms.ID})
			if err == nil {
				ids[i] = recs[0].ID
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		if ids[i] != ids[0] {
			t.Errorf("client %d got record %s, client 0 got %s", i, ids[i].Hex(), ids[0].Hex())
		}
	}
	if n := e.count(t, acceptancesCollection); n != 1 {
		t.Errorf("%d acceptance records, want 1", n)
	}
}

func TestAcceptTruncatesLongUserAgent(t *testing.T) {
	e := newEnv(t, true)
	a := newActor(bson.NewObjectID(), authz.RoleMember)
	a.UserAgent = strings.Repeat("é", MaxUserAgentBytes) // 2 bytes each
	recs := e.accept(t, a, e.current(t, TermsOfService))
	ua := recs[0].UserAgent
	if len(ua) != MaxUserAgentBytes || ua != strings.Repeat("é", MaxUserAgentBytes/2) {
		t.Errorf("user agent has %d bytes, want %d whole characters", len(ua), MaxUserAgentBytes)
	}
}

func TestAcceptRejectsBadIDsAndWritesNothing(t *testing.T) {
	e := newEnv(t, true)
	oldTerms := e.current(t, TermsOfService)
	newTerms := e.publish(t, TermsOfService, "Terms 2")
	privacy := e.current(t, PrivacyPolicy)
	unknown := bson.NewObjectID()
	tests := []struct {
		name  string
		ids   []bson.ObjectID
		parts []string
	}{
		{"empty list", nil, []string{"at least one"}},
		{"unknown id", []bson.ObjectID{privacy.ID, unknown}, []string{"documentIds[1] is not a published document"}},
		{"same id twice", []bson.ObjectID{newTerms.ID, privacy.ID, newTerms.ID}, []string{"more than once", "documentIds[2]"}},
		{"old version", []bson.ObjectID{privacy.ID, oldTerms.ID}, []string{"documentIds[1] is version 1 of TERMS_OF_SERVICE; the current version is 2"}},
		{"too many ids", make([]bson.ObjectID, MaxAcceptIDs+1), []string{"At most 20"}},
	}
	for _, tt := range tests {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			a := newActor(bson.NewObjectID(), authz.RoleOwner)
			_, err := e.svc.Accept(t.Context(), a.Principal, a.Origin, tt.ids)
			wantAppErr(t, err, apperr.BadUserInput, "documentIds", tt.parts...)
			if n := e.count(t, acceptancesCollection); n != 0 {
				t.Errorf("%d acceptance records written, want 0", n)
			}
		})
	}
	t.Run("accepts exactly the limit", func(t *testing.T) {
		a := newActor(bson.NewObjectID(), authz.RoleOwner)
		ids := make([]bson.ObjectID, MaxAcceptIDs)
		for i := range ids {
			ids[i] = bson.NewObjectID()
		}
		_, err := e.svc.Accept(t.Context(), a.Principal, a.Origin, ids)
		wantAppErr(t, err, apperr.BadUserInput, "documentIds", "not a published document") // past the count check
	})
	t.Run("refuses an API key", func(t *testing.T) {
		key := &authz.Principal{OrganizationID: bson.NewObjectID(), APIKeyID: bson.NewObjectID(), Role: authz.RoleAdmin, Scope: authz.ScopeReadWrite}
		_, err := e.svc.Accept(t.Context(), key, Origin{}, []bson.ObjectID{privacy.ID})
		wantAppErr(t, err, apperr.Forbidden, "")
	})
}

func TestPending(t *testing.T) {
	e := newEnv(t, true)
	terms, privacy, dpa := e.current(t, TermsOfService), e.current(t, PrivacyPolicy), e.current(t, DataProcessingAgreement)
	org := bson.NewObjectID()
	owner, viewer := newActor(org, authz.RoleOwner), newActor(org, authz.RoleViewer)
	e.accept(t, owner, terms, dpa)
	e.accept(t, viewer, terms, privacy)

	check := func(t *testing.T, p *authz.Principal, want ...Document) {
		t.Helper()
		e.counter.Reset()
		got, err := e.svc.Pending(t.Context(), p)
		if err != nil {
			t.Fatalf("Pending: %v", err)
		}
		if n := e.counter.Count("find", "aggregate"); n > 3 {
			t.Errorf("Pending sent %d queries, want at most 3", n)
		}
		if len(got) != len(want) {
			t.Fatalf("Pending = %d documents %+v, want %d", len(got), got, len(want))
		}
		for i, d := range got {
			if d.ID != want[i].ID || d.Kind != want[i].Kind || d.Version != want[i].Version || d.Title == "" {
				t.Errorf("pending %d = %s v%d, want %s v%d", i, d.Kind, d.Version, want[i].Kind, want[i].Version)
			}
			if d.Body != "" {
				t.Errorf("pending %d has a body, want it left out", i)
			}
		}
	}
	as := func(user, org bson.ObjectID, role authz.Role) *authz.Principal {
		return &authz.Principal{UserID: user, OrganizationID: org, Role: role}
	}

	t.Run("new member must accept terms and privacy", func(t *testing.T) {
		check(t, as(bson.NewObjectID(), org, authz.RoleMember), terms, privacy)
	})
	t.Run("new admin is not asked for the DPA", func(t *testing.T) {
		check(t, as(bson.NewObjectID(), bson.NewObjectID(), authz.RoleAdmin), terms, privacy)
	})
	t.Run("new owner of an organization that has not signed must also sign the DPA", func(t *testing.T) {
		check(t, as(bson.NewObjectID(), bson.NewObjectID(), authz.RoleOwner), terms, privacy, dpa)
	})
	t.Run("owner has only privacy left", func(t *testing.T) {
		check(t, owner.Principal, privacy)
	})
	t.Run("another owner of the organization is done with the DPA", func(t *testing.T) {
		check(t, as(bson.NewObjectID(), org, authz.RoleOwner), terms, privacy)
	})
	t.Run("the same owner in an organization that has not signed must sign there", func(t *testing.T) {
		check(t, as(owner.UserID, bson.NewObjectID(), authz.RoleOwner), privacy, dpa)
	})
	t.Run("viewer has nothing left", func(t *testing.T) {
		check(t, viewer.Principal)
	})
	t.Run("viewer promoted to owner of a signed organization has nothing left", func(t *testing.T) {
		check(t, as(viewer.UserID, org, authz.RoleOwner))
	})
	t.Run("an API key has nothing pending", func(t *testing.T) {
		check(t, &authz.Principal{OrganizationID: bson.NewObjectID(), APIKeyID: bson.NewObjectID(), Role: authz.RoleAdmin, Scope: authz.ScopeReadWrite})
	})
	t.Run("new terms version is pending again", func(t *testing.T) {
		terms2 := e.publish(t, TermsOfService, "Terms 2")
		check(t, viewer.Principal, terms2)
		e.accept(t, viewer, terms2)
		check(t, viewer.Principal)
	})
}

func TestOrganizationAcceptances(t *testing.T) {
	e := newEnv(t, true)
	terms, privacy := e.current(t, TermsOfService), e.current(t, PrivacyPolicy)
	org, other := bson.NewObjectID(), bson.NewObjectID()
	var want []Acceptance // newest first
	var members []actor
	for range 3 {
		a := newActor(org, authz.RoleMember)
		members = append(members, a)
		recs := e.accept(t, a, terms, privacy)
		want = append([]Acceptance{recs[1], recs[0]}, want...)
	}
	e.accept(t, newActor(other, authz.RoleMember), terms)
	owner := newActor(org, authz.RoleOwner).Principal

	t.Run("pages newest first within the organization", func(t *testing.T) {
		var got []Acceptance
		var after *string
		pages := 0
		for {
			r, err := AcceptancePageRequest(ptr(4), after)
			if err != nil {
				t.Fatalf("AcceptancePageRequest: %v", err)
			}
			p, err := e.svc.OrganizationAcceptances(t.Context(), owner, r)
			if err != nil {
				t.Fatalf("OrganizationAcceptances: %v", err)
			}
			pages++
			if p.TotalCount != len(want) || p.HasPreviousPage != (pages > 1) {
				t.Fatalf("page %d: totalCount %d, hasPreviousPage %v", pages, p.TotalCount, p.HasPreviousPage)
			}
			got = append(got, p.Items...)
			if !p.HasNextPage {
				break
			}
			if pages > 3 || p.EndCursor() == "" {
				t.Fatalf("page %d: HasNextPage with cursor %q", pages, p.EndCursor())
			}
			after = ptr(p.EndCursor())
		}
		if pages != 2 || len(got) != len(want) {
			t.Fatalf("got %d records in %d pages, want %d in 2", len(got), pages, len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("record %d = %s, want %s", i, got[i].ID.Hex(), want[i].ID.Hex())
			}
		}
	})

	t.Run("only an OWNER signed in reads the audit list", func(t *testing.T) {
		r := page.Request{First: 20}
		_, err := e.svc.OrganizationAcceptances(t.Context(), newActor(org, authz.RoleAdmin).Principal, r)
		wantAppErr(t, err, apperr.Forbidden, "")
		key := &authz.Principal{OrganizationID: org, APIKeyID: bson.NewObjectID(), Role: authz.RoleOwner, Scope: authz.ScopeReadWrite}
		_, err = e.svc.OrganizationAcceptances(t.Context(), key, r)
		wantAppErr(t, err, apperr.Forbidden, "")
		_, err = e.svc.OrganizationAcceptances(t.Context(), nil, r)
		wantAppErr(t, err, apperr.Unauthenticated, "")
	})

	t.Run("one record: your own, or any of your organization as its OWNER", func(t *testing.T) {
		mine := want[len(want)-1] // the first member's first record
		if got, err := e.svc.Acceptance(t.Context(), members[0].Principal, ScopePersonal, mine.ID); err != nil || got != mine {
			t.Errorf("own record: %+v, %v", got, err)
		}
		if got, err := e.svc.Acceptance(t.Context(), owner, ScopePersonal, mine.ID); err != nil || got != mine {
			t.Errorf("owner: %+v, %v", got, err)
		}
		_, err := e.svc.Acceptance(t.Context(), members[1].Principal, ScopePersonal, mine.ID)
		wantAppErr(t, err, apperr.NotFound, "")
		_, err = e.svc.Acceptance(t.Context(), newActor(other, authz.RoleOwner).Principal, ScopePersonal, mine.ID)
		wantAppErr(t, err, apperr.NotFound, "")
	})

	t.Run("empty organization", func(t *testing.T) {
		p, err := e.svc.OrganizationAcceptances(t.Context(), newActor(bson.NewObjectID(), authz.RoleOwner).Principal, page.Request{First: 10})
		if err != nil || len(p.Items) != 0 || p.HasNextPage || p.EndCursor() != "" || p.TotalCount != 0 {
			t.Fatalf("page = %+v, %v; want empty", p, err)
		}
	})

	t.Run("rejects a cursor that names no record", func(t *testing.T) {
		r := page.Request{First: 10, After: []string{"not-hex"}}
		_, err := e.svc.OrganizationAcceptances(t.Context(), owner, r)
		wantAppErr(t, err, apperr.BadUserInput, "after")
	})
}

func ptr[T any](v T) *T { return &v }
