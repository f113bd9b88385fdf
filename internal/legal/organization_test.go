package legal

import (
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/page"
)

// legacySignature stores a personal acceptance of d by a, as the service
// recorded DPA acceptances before organizations signed them.
func (e testEnv) legacySignature(t *testing.T, a actor, d Document) Acceptance {
	t.Helper()
	rec := Acceptance{
		ID: bson.NewObjectID(), Scope: ScopePersonal, UserID: a.UserID, OrganizationID: a.OrganizationID, Role: a.Role,
		DocumentID: d.ID, Kind: d.Kind, Version: d.Version, BodySHA256: d.BodySHA256,
		AcceptedAt: epoch(), IP: a.IP, UserAgent: a.UserAgent,
	}
	if err := e.svc.store.insertAcceptance(t.Context(), rec); err != nil {
		t.Fatalf("insert legacy acceptance: %v", err)
	}
	return rec
}

// orgPending returns what OrganizationPending lists for p's organization.
func (e testEnv) orgPending(t *testing.T, p *authz.Principal) []OrganizationPending {
	t.Helper()
	got, err := e.svc.OrganizationPending(t.Context(), p, p.OrganizationID)
	if err != nil {
		t.Fatalf("OrganizationPending: %v", err)
	}
	return got
}

func TestOwnerSignsTheDPAForTheOrganization(t *testing.T) {
	e := newEnv(t, true)
	terms, dpa := e.current(t, TermsOfService), e.current(t, DataProcessingAgreement)
	org := bson.NewObjectID()
	owner := newActor(org, authz.RoleOwner)
	recs := e.accept(t, owner, terms, dpa)
	if r := recs[0]; r.Scope != ScopePersonal || r.UserID != owner.UserID {
		t.Errorf("terms record = %+v, want a personal one", r)
	}
	r := recs[1]
	if r.Scope != ScopeOrganization || r.OrganizationID != org || r.UserID != owner.UserID || r.Role != authz.RoleOwner ||
		r.DocumentID != dpa.ID || r.Kind != DataProcessingAgreement || r.Version != dpa.Version || r.BodySHA256 != dpa.BodySHA256 ||
		r.IP != owner.IP || r.UserAgent != owner.UserAgent || r.AcceptedAt.IsZero() {
		t.Errorf("DPA record = %+v, want the organization's, naming the owner", r)
	}
	if n := e.count(t, acceptancesCollection); n != 1 {
		t.Errorf("%d personal records, want 1 (the terms)", n)
	}
	if n := e.count(t, signaturesCollection); n != 1 {
		t.Errorf("%d organization records, want 1", n)
	}

	t.Run("another owner accepting it again gets the organization's record", func(t *testing.T) {
		again := e.accept(t, newActor(org, authz.RoleOwner), dpa)
		if again[0] != r {
			t.Errorf("second owner got %+v, want the first record %+v", again[0], r)
		}
		if n := e.count(t, signaturesCollection); n != 1 {
			t.Errorf("%d organization records, want 1", n)
		}
	})
	t.Run("the record is the owner's own, and the audit list's", func(t *testing.T) {
		got, err := e.svc.Acceptance(t.Context(), owner.Principal, ScopeOrganization, r.ID)
		if err != nil || got != r {
			t.Errorf("Acceptance = %+v, %v", got, err)
		}
		if _, err := e.svc.Acceptance(t.Context(), owner.Principal, ScopePersonal, r.ID); err == nil {
			t.Error("an organization record was found as a personal one")
		}
		_, err = e.svc.Acceptance(t.Context(), newActor(org, authz.RoleMember).Principal, ScopeOrganization, r.ID)
		wantAppErr(t, err, apperr.NotFound, "")
		mine, err := e.svc.MyAcceptances(t.Context(), owner.Principal, page.Request{First: 20})
		if err != nil || mine.TotalCount != 2 || mine.Items[0] != r || mine.Items[1] != recs[0] {
			t.Errorf("MyAcceptances = %+v, %v; want the DPA signature and the terms", mine, err)
		}
	})
	t.Run("another organization of the same owner has not signed", func(t *testing.T) {
		elsewhere := owner
		elsewhere.Principal = &authz.Principal{UserID: owner.UserID, OrganizationID: bson.NewObjectID(), Role: authz.RoleOwner}
		if got := e.orgPending(t, elsewhere.Principal); len(got) != 1 || got[0].Document.ID != dpa.ID {
			t.Fatalf("other organization's pending = %+v, want the DPA", got)
		}
		rec := e.accept(t, elsewhere, dpa)[0]
		if rec.ID == r.ID || rec.OrganizationID != elsewhere.OrganizationID {
			t.Errorf("signing for the second organization = %+v, want a record of its own", rec)
		}
	})
}

func TestOnlyAnOwnerSignsTheDPA(t *testing.T) {
	e := newEnv(t, true)
	terms, privacy, dpa := e.current(t, TermsOfService), e.current(t, PrivacyPolicy), e.current(t, DataProcessingAgreement)
	org := bson.NewObjectID()
	for _, role := range []authz.Role{authz.RoleAdmin, authz.RoleMember, authz.RoleViewer} {
		t.Run(string(role), func(t *testing.T) {
			a := newActor(org, role)
			before := e.count(t, acceptancesCollection) + e.count(t, signaturesCollection)
			// The DPA comes last: nothing before it is recorded either.
			_, err := e.svc.Accept(t.Context(), a.Principal, a.Origin, []bson.ObjectID{terms.ID, privacy.ID, dpa.ID})
			wantAppErr(t, err, apperr.Forbidden, "", "OWNER", "on behalf of the organization", dpa.Title)
			if n := e.count(t, acceptancesCollection) + e.count(t, signaturesCollection); n != before {
				t.Errorf("%d records written, want 0", n-before)
			}
			// Personal documents alone are fine.
			e.accept(t, a, terms, privacy)
		})
	}
	if got := e.orgPending(t, newActor(org, authz.RoleMember).Principal); len(got) != 1 {
		t.Errorf("the organization's pending = %+v, want the DPA still", got)
	}
}

func TestConcurrentOwnersSignOnce(t *testing.T) {
	e := newEnv(t, true)
	dpa := e.current(t, DataProcessingAgreement)
	org := bson.NewObjectID()
	const owners = 8
	ids := make([]bson.ObjectID, owners)
	errs := make([]error, owners)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range owners {
		a := newActor(org, authz.RoleOwner) // a different OWNER each
		wg.Go(func() {
			start.Wait()
			recs, err := e.svc.Accept(t.Context(), a.Principal, a.Origin, []bson.ObjectID{dpa.ID})
			if err == nil {
				ids[i] = recs[0].ID
			}
			errs[i] = err
		})
	}
	start.Done()
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("owner %d: %v", i, err)
		}
		if ids[i] != ids[0] {
			t.Errorf("owner %d got record %s, owner 0 got %s", i, ids[i].Hex(), ids[0].Hex())
		}
	}
	if n := e.count(t, signaturesCollection); n != 1 {
		t.Errorf("%d organization records, want exactly 1", n)
	}
	if n := e.count(t, acceptancesCollection); n != 0 {
		t.Errorf("%d personal records, want 0", n)
	}
}

// Before organizations signed the DPA, OWNERs (and ADMINs) accepted it
// personally. An OWNER's such record counts as the organization's
// acceptance of that version, so upgrading blocks nobody who had signed; an
// ADMIN's does not.
func TestOldPersonalOwnerRecordsCountForTheOrganization(t *testing.T) {
	e := newEnv(t, true)
	terms, privacy, dpa := e.current(t, TermsOfService), e.current(t, PrivacyPolicy), e.current(t, DataProcessingAgreement)
	org := bson.NewObjectID()
	old := newActor(org, authz.RoleOwner)
	e.accept(t, old, terms, privacy)
	legacy := e.legacySignature(t, old, dpa)

	coOwner := newActor(org, authz.RoleOwner)
	e.accept(t, coOwner, terms, privacy)
	for _, p := range []*authz.Principal{old.Principal, coOwner.Principal} {
		if got, err := e.svc.Pending(t.Context(), p); err != nil || len(got) != 0 {
			t.Errorf("Pending of an owner of an organization signed the old way = %+v, %v; want nothing", got, err)
		}
	}
	if got := e.orgPending(t, newActor(org, authz.RoleMember).Principal); len(got) != 0 {
		t.Errorf("OrganizationPending = %+v, want nothing", got)
	}
	// Accepting it again returns the old record and records nothing.
	if again := e.accept(t, coOwner, dpa); again[0] != legacy {
		t.Errorf("accepting again = %+v, want the old record %+v", again[0], legacy)
	}
	if n := e.count(t, signaturesCollection); n != 0 {
		t.Errorf("%d organization records, want 0", n)
	}
	// The old record counts for its organization only.
	if got, _ := e.svc.Pending(t.Context(), &authz.Principal{UserID: old.UserID, OrganizationID: bson.NewObjectID(), Role: authz.RoleOwner}); len(got) != 1 || got[0].ID != dpa.ID {
		t.Errorf("Pending of the same owner elsewhere = %+v, want the DPA", got)
	}
	// A new version is pending again.
	dpa2 := e.publish(t, DataProcessingAgreement, "DPA 2")
	if got, _ := e.svc.Pending(t.Context(), coOwner.Principal); len(got) != 1 || got[0].ID != dpa2.ID {
		t.Errorf("Pending after a new version = %+v, want DPA 2", got)
	}

	t.Run("an old ADMIN record does not count", func(t *testing.T) {
		other := bson.NewObjectID()
		e.legacySignature(t, newActor(other, authz.RoleAdmin), dpa2)
		owner := newActor(other, authz.RoleOwner)
		e.accept(t, owner, terms, privacy)
		if got, _ := e.svc.Pending(t.Context(), owner.Principal); len(got) != 1 || got[0].ID != dpa2.ID {
			t.Errorf("Pending = %+v, want DPA 2", got)
		}
	})
}

func TestOrganizationPending(t *testing.T) {
	e := newEnv(t, true)
	terms, privacy := e.current(t, TermsOfService), e.current(t, PrivacyPolicy)
	dpa := e.current(t, DataProcessingAgreement)
	org := bson.NewObjectID()
	member := newActor(org, authz.RoleMember)
	e.accept(t, member, terms, privacy)

	e.counter.Reset()
	got := e.orgPending(t, member.Principal)
	if n := e.counter.Count("find", "aggregate"); n > 3 {
		t.Errorf("OrganizationPending sent %d queries, want at most 3", n)
	}
	if len(got) != 1 || got[0].Document.ID != dpa.ID || got[0].SignableBy != authz.RoleOwner || !got[0].Since.Equal(dpa.PublishedAt) || got[0].Document.Body != "" {
		t.Fatalf("OrganizationPending = %+v, want the DPA, signable by OWNER since its publication", got)
	}
	// A member is not blocked by it.
	if p, err := e.svc.Pending(t.Context(), member.Principal); err != nil || len(p) != 0 {
		t.Errorf("member's Pending = %+v, %v; want nothing", p, err)
	}
	key := &authz.Principal{OrganizationID: org, APIKeyID: bson.NewObjectID(), Role: authz.RoleViewer, Scope: authz.ScopeRead}
	if got := e.orgPending(t, key); len(got) != 1 {
		t.Errorf("API key's OrganizationPending = %+v, want the DPA", got)
	}
	_, err := e.svc.OrganizationPending(t.Context(), member.Principal, bson.NewObjectID())
	wantAppErr(t, err, apperr.NotFound, "")
	_, err = e.svc.OrganizationPending(t.Context(), nil, org)
	wantAppErr(t, err, apperr.Unauthenticated, "")

	e.accept(t, newActor(org, authz.RoleOwner), dpa)
	if got := e.orgPending(t, member.Principal); len(got) != 0 {
		t.Errorf("after an owner signed: %+v", got)
	}
}

func TestAuditListShowsOrganizationAcceptancesBesidePersonalOnes(t *testing.T) {
	e := newEnv(t, true)
	terms, privacy, dpa := e.current(t, TermsOfService), e.current(t, PrivacyPolicy), e.current(t, DataProcessingAgreement)
	org := bson.NewObjectID()
	owner, member := newActor(org, authz.RoleOwner), newActor(org, authz.RoleMember)
	var want []Acceptance // newest first
	for _, step := range []struct {
		a    actor
		docs []Document
	}{{owner, []Document{terms}}, {owner, []Document{dpa}}, {member, []Document{terms, privacy}}, {owner, []Document{privacy}}} {
		for _, r := range e.accept(t, step.a, step.docs...) {
			want = append([]Acceptance{r}, want...)
		}
	}
	e.accept(t, newActor(bson.NewObjectID(), authz.RoleOwner), terms, dpa) // another organization's

	var got []Acceptance
	var after *string
	for range 5 {
		r, err := AcceptancePageRequest(ptr(2), after)
		if err != nil {
			t.Fatal(err)
		}
		p, err := e.svc.OrganizationAcceptances(t.Context(), owner.Principal, r)
		if err != nil {
			t.Fatalf("OrganizationAcceptances: %v", err)
		}
		if p.TotalCount != len(want) {
			t.Fatalf("totalCount %d, want %d", p.TotalCount, len(want))
		}
		got = append(got, p.Items...)
		if !p.HasNextPage {
			break
		}
		after = ptr(p.EndCursor())
	}
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	scopes := map[Scope]int{}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("record %d = %s %s, want %s %s", i, got[i].Scope, got[i].Kind, want[i].Scope, want[i].Kind)
		}
		scopes[got[i].Scope]++
	}
	if scopes[ScopeOrganization] != 1 || scopes[ScopePersonal] != 4 {
		t.Errorf("scopes = %v, want 1 organization and 4 personal records", scopes)
	}
}
