package app_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/omnify/bff/internal/app"
	"github.com/omnify/bff/internal/app/apptest"
	"github.com/omnify/bff/internal/config"
	"github.com/omnify/bff/internal/legal"
)

// The legal gate of a user who has accepted everything costs no database
// read once the process has seen them done, whatever their role; a version
// published while they work stops them at their very next request (also
// when many of them ask at once), the stop is not remembered, and accepting
// lets them through at once.
func TestLegalGateRemembersWhoIsDone(t *testing.T) {
	// Principals stay cached for the whole test, so that every find counted
	// below is the gate's.
	env := apptest.Start(t, dbs, func(c *config.Config) { c.AuthCacheTTL = config.MaxAuthCacheTTL })
	alice := signUp(t, env, "alice@example.com", "Acme") // OWNER: the DPA is asked of her
	bob := signUp(t, env, "bob@example.com", "Bob Co")
	addMember(t, alice, bob, "MEMBER")
	switchTo(t, bob, alice.orgID)

	const gated = `{ serverInfo { version } }`
	// finds counts what 5 gated requests after a first one read, but for
	// the list of current versions, which every process reads again every
	// legal.CurrentTTL whoever asks.
	finds := func(a account) int {
		t.Helper()
		a.c.MustData(t, gated, nil, nil)
		env.Commands.Reset()
		for range 5 {
			a.c.MustData(t, gated, nil, nil)
		}
		return env.Commands.Count("find") - env.Commands.CountOn("find", "legal_documents")
	}
	for _, a := range []account{alice, bob} {
		if n := finds(a); n != 0 {
			t.Errorf("%s: 5 gated requests after the first sent %d finds, want 0", a.email, n)
		}
	}

	// A dashboard query whose answer is kept (the answer cache): a kept
	// answer must not let anyone past the gate either.
	const kept = `{ integrations { platform status } }`
	for _, a := range []account{alice, bob} {
		a.c.MustData(t, kept, nil, nil)
		a.c.MustData(t, kept, nil, nil)
	}

	file := []byte("# Omnify Terms of Service\n\nVersion 2 of the terms, published while everyone works.\n")
	doc, err := app.PublishLegalDocument(context.Background(), env.Config, slog.New(slog.DiscardHandler),
		app.PublishInput{Kind: legal.TermsOfService, Title: "Omnify Terms of Service", File: file})
	if err != nil || doc.Version != 2 {
		t.Fatalf("publish: %+v %v", doc, err)
	}
	// Everyone asks at once right after the publish returned: nobody is let
	// through, and asking again is refused again.
	var wg sync.WaitGroup
	for i := range 16 {
		a := []account{alice, bob}[i%2]
		wg.Go(func() {
			for _, q := range []string{gated, kept} {
				if r := a.c.Do(t, q, nil); r.Code() != "LEGAL_ACCEPTANCE_REQUIRED" {
					t.Errorf("%s after the publish: %+v, want LEGAL_ACCEPTANCE_REQUIRED", a.email, r.Errors)
				}
			}
		})
	}
	wg.Wait()

	for _, a := range []account{alice, bob} {
		_, pending, _ := legalStatus(t, a.c)
		if len(pending) != 1 || pending[0].Version != 2 {
			t.Fatalf("%s: pending %+v, want terms version 2", a.email, pending)
		}
		a.c.MustData(t, `mutation($ids: [ID!]!) { acceptLegalDocuments(input: {documentIds: $ids}) { legal { upToDate } } }`,
			map[string]any{"ids": []string{pending[0].ID}}, nil)
		if r := a.c.Do(t, gated, nil); len(r.Errors) != 0 {
			t.Fatalf("%s right after accepting: %+v", a.email, r.Errors)
		}
		if n := finds(a); n != 0 {
			t.Errorf("%s: 5 gated requests after accepting sent %d finds, want 0", a.email, n)
		}
	}
}

// With OMNIFY_AUTH_CACHE_TTL=0 nothing is remembered: every gated request
// reads the user's acceptances again.
func TestLegalGateWithoutCacheReadsEveryTime(t *testing.T) {
	env := apptest.Start(t, dbs, func(c *config.Config) { c.AuthCacheTTL = 0 })
	alice := signUp(t, env, "alice@example.com", "Acme")
	const gated = `{ serverInfo { version } }`
	alice.c.MustData(t, gated, nil, nil)
	env.Commands.Reset()
	alice.c.MustData(t, gated, nil, nil)
	if n := env.Commands.CountOn("find", "legal_acceptances"); n < 1 {
		t.Errorf("a gated request without the cache read the acceptances %d times, want 1 or more", n)
	}
}

// `me` asked again soon costs no database read: the principal, the legal
// gate's answer, the user and the organization are all kept by the process.
func TestMeAskedAgainReadsNothing(t *testing.T) {
	env := apptest.Start(t, dbs, func(c *config.Config) { c.AuthCacheTTL = config.MaxAuthCacheTTL })
	alice := signUp(t, env, "alice@example.com", "Acme")
	const me = `{ me { user { id email name createdAt } organization { id name createdAt } role } }`
	var first, again map[string]any
	alice.c.MustData(t, me, nil, &first)
	env.Commands.Reset()
	for range 5 {
		alice.c.MustData(t, me, nil, &again)
	}
	// Only the list of current versions is read again, at most every
	// legal.CurrentTTL.
	if n := env.Commands.Count("find") - env.Commands.CountOn("find", "legal_documents"); n != 0 {
		t.Errorf("5 more `me` sent %d finds, want 0", n)
	}
	if toJSON(first) != toJSON(again) {
		t.Errorf("kept copies answer %s, the database %s", toJSON(again), toJSON(first))
	}
}
