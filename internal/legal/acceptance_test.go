package legal

import (
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
)

// newActor returns an actor of a new user in org.
func newActor(org bson.ObjectID, role string) Actor {
	return Actor{UserID: bson.NewObjectID(), OrganizationID: org, Role: role, IP: "203.0.113.7", UserAgent: "Mozilla/5.0 Test"}
}

// accept accepts the documents or fails the test.
func (e testEnv) accept(t *testing.T, a Actor, docs ...Document) []Acceptance {
	t.Helper()
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID.Hex()
	}
	recs, err := e.svc.Accept(t.Context(), a, ids)
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	return recs
}

func TestAcceptRecordsWhoAcceptedWhatWhenAndWhere(t *testing.T) {
	e := newEnv(t, true)
	terms, privacy := e.current(t, TermsOfService), e.current(t, PrivacyPolicy)
	a := newActor(bson.NewObjectID(), RoleMember)
	recs := e.accept(t, a, privacy, terms)
	if len(recs) != 2 {
		t.Fatalf("got %d records, want 2", len(recs))
	}
	for i, d := range []Document{privacy, terms} {
		r := recs[i]
		if r.ID.IsZero() || r.UserID != a.UserID || r.OrganizationID != a.OrganizationID || r.Role != RoleMember ||
			r.DocumentID != d.ID || r.Kind != d.Kind || r.Version != d.Version || r.BodySHA256 != d.BodySHA256 ||
			r.IP != a.IP || r.UserAgent != a.UserAgent || r.AcceptedAt.Location() != time.UTC || r.AcceptedAt.Before(epoch()) {
			t.Errorf("record %d = %+v, want one for %s version %d", i, r, d.Kind, d.Version)
		}
	}
	stored, err := e.svc.AcceptancesByUser(t.Context(), a.UserID)
	if err != nil {
		t.Fatalf("AcceptancesByUser: %v", err)
	}
	if len(stored) != 2 || stored[0] != recs[1] || stored[1] != recs[0] {
		t.Errorf("AcceptancesByUser = %+v, want the two records newest first", stored)
	}
}

func TestAcceptAgainKeepsTheFirstRecord(t *testing.T) {
	e := newEnv(t, true)
	terms, privacy := e.current(t, TermsOfService), e.current(t, PrivacyPolicy)
	a := newActor(bson.NewObjectID(), RoleOwner)
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
	a := newActor(bson.NewObjectID(), RoleMember)
	const clients = 4
	ids := make([]bson.ObjectID, clients)
	errs := make([]error, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			recs, err := e.svc.Accept(t.Context(), a, []string{terms.ID.Hex()})
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
	a := newActor(bson.NewObjectID(), RoleMember)
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
	unknown := bson.NewObjectID().Hex()
	tests := []struct {
		name  string
		ids   []string
		parts []string
	}{
		{"empty list", nil, []string{"at least one"}},
		{"malformed id", []string{privacy.ID.Hex(), "not-an-id"}, []string{`malformed document id: "not-an-id"`}},
		{"unknown id", []string{privacy.ID.Hex(), unknown}, []string{"unknown document id", unknown}},
		{"same id twice", []string{newTerms.ID.Hex(), privacy.ID.Hex(), newTerms.ID.Hex()}, []string{"more than once", newTerms.ID.Hex()}},
		{"old version", []string{privacy.ID.Hex(), oldTerms.ID.Hex()}, []string{oldTerms.ID.Hex(), "is version 1 of TERMS_OF_SERVICE; the current version is 2"}},
		{"too many ids", make([]string, maxAcceptIDs+1), []string{"at most"}},
	}
	for _, tt := range tests {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			_, err := e.svc.Accept(t.Context(), newActor(bson.NewObjectID(), RoleOwner), tt.ids)
			wantAppErr(t, err, apperr.BadUserInput, "documentIds", tt.parts...)
			if n := e.count(t, acceptancesCollection); n != 0 {
				t.Errorf("%d acceptance records written, want 0", n)
			}
		})
	}
}

func TestPending(t *testing.T) {
	e := newEnv(t, true)
	terms, privacy, dpa := e.current(t, TermsOfService), e.current(t, PrivacyPolicy), e.current(t, DataProcessingAgreement)
	org := bson.NewObjectID()
	owner, viewer := newActor(org, RoleOwner), newActor(org, RoleViewer)
	e.accept(t, owner, terms, dpa)
	e.accept(t, viewer, terms, privacy)

	check := func(t *testing.T, user bson.ObjectID, role string, want ...Document) {
		t.Helper()
		e.counter.Reset()
		got, err := e.svc.Pending(t.Context(), user, role)
		if err != nil {
			t.Fatalf("Pending: %v", err)
		}
		if n := e.counter.Count("find", "aggregate"); n > 2 {
			t.Errorf("Pending sent %d queries, want at most 2", n)
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

	t.Run("new member must accept terms and privacy", func(t *testing.T) {
		check(t, bson.NewObjectID(), RoleMember, terms, privacy)
	})
	t.Run("new admin must also accept the DPA", func(t *testing.T) {
		check(t, bson.NewObjectID(), RoleAdmin, terms, privacy, dpa)
	})
	t.Run("owner has only privacy left", func(t *testing.T) {
		check(t, owner.UserID, RoleOwner, privacy)
	})
	t.Run("viewer has nothing left", func(t *testing.T) {
		check(t, viewer.UserID, RoleViewer)
	})
	t.Run("viewer promoted to admin must accept the DPA", func(t *testing.T) {
		check(t, viewer.UserID, RoleAdmin, dpa)
	})
	t.Run("new terms version is pending again", func(t *testing.T) {
		terms2 := e.publish(t, TermsOfService, "Terms 2")
		check(t, viewer.UserID, RoleViewer, terms2)
		e.accept(t, viewer, terms2)
		check(t, viewer.UserID, RoleViewer)
	})
}

func TestAcceptancesByOrganization(t *testing.T) {
	e := newEnv(t, true)
	terms, privacy := e.current(t, TermsOfService), e.current(t, PrivacyPolicy)
	org, other := bson.NewObjectID(), bson.NewObjectID()
	var want []Acceptance // newest first
	for range 3 {
		recs := e.accept(t, newActor(org, RoleMember), terms, privacy)
		want = append([]Acceptance{recs[1], recs[0]}, want...)
	}
	e.accept(t, newActor(other, RoleMember), terms)

	t.Run("pages newest first within the organization", func(t *testing.T) {
		var got []Acceptance
		after := ""
		pages := 0
		for {
			page, err := e.svc.AcceptancesByOrganization(t.Context(), org, 4, after)
			if err != nil {
				t.Fatalf("AcceptancesByOrganization: %v", err)
			}
			pages++
			got = append(got, page.Acceptances...)
			if !page.HasNextPage {
				break
			}
			if pages > 3 || page.EndCursor == "" {
				t.Fatalf("page %d: HasNextPage with cursor %q", pages, page.EndCursor)
			}
			after = page.EndCursor
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

	t.Run("default page size when first is 0", func(t *testing.T) {
		page, err := e.svc.AcceptancesByOrganization(t.Context(), org, 0, "")
		if err != nil || len(page.Acceptances) != 6 || page.HasNextPage {
			t.Fatalf("page = %d records, next %v, %v; want all 6", len(page.Acceptances), page.HasNextPage, err)
		}
	})

	t.Run("empty organization", func(t *testing.T) {
		page, err := e.svc.AcceptancesByOrganization(t.Context(), bson.NewObjectID(), 10, "")
		if err != nil || len(page.Acceptances) != 0 || page.HasNextPage || page.EndCursor != "" {
			t.Fatalf("page = %+v, %v; want empty", page, err)
		}
	})

	invalid := []struct {
		name, after, field string
		first              int
	}{
		{"first above 100", "", "first", 101},
		{"negative first", "", "first", -1},
		{"cursor not base64", "%%%", "after", 10},
		{"cursor not an id", encodeCursor(bson.NewObjectID())[2:], "after", 10},
		{"cursor of raw hex", want[0].ID.Hex(), "after", 10},
	}
	for _, tt := range invalid {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			_, err := e.svc.AcceptancesByOrganization(t.Context(), org, tt.first, tt.after)
			wantAppErr(t, err, apperr.BadUserInput, tt.field)
		})
	}
}
