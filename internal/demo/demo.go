// Package demo sets up the demo organization: a clearly labelled
// organization ("Demo Store (sample data)") with a demo user who owns it,
// and sample data in its three integrations (internal/integrations
// /demodata), so that a new installation's dashboard has something to
// show and every built-in agent finds something.
//
// It is made at most once per database, on a claim: the first process
// that starts on a database without any organization inserts the claim
// document (a unique _id), and only that insert's winner creates the
// organization; every other process, at the same time or later, finds the
// claim and creates nothing. The work itself (the sign-up, the sample
// data) runs under a lock (mongodb.Lock, a unique insert too) and each
// step can run again, so a set-up interrupted by a crash is finished by
// the next process that starts, or by `omnify demo`. Reset (for `omnify
// demo`) creates the organization when it is missing, and otherwise sets
// a new password and regenerates the data to end yesterday.
//
// The demo user is created through the auth module's sign-up, with the
// current legal documents accepted as a sign-up accepts them; the data is
// written by the integrations module (Service.SeedDemo). This package
// touches no other module's collections.
package demo

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/auth"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/integrations"
	"github.com/omnify/bff/internal/legal"
	"github.com/omnify/bff/internal/mongodb"
)

// The demo organization and its user.
const (
	// Email is the demo user's email address, at a reserved domain.
	Email = "demo@omnify.example"
	// UserName is the demo user's name.
	UserName = "Demo User"
	// OrganizationName labels the demo organization as such.
	OrganizationName = "Demo Store (sample data)"
)

// Outcome says what Ensure or Reset did.
type Outcome string

// The outcomes.
const (
	// Created: this call created the demo organization; the Result has the
	// password.
	Created Outcome = "created"
	// Reset: the demo organization existed; its password was replaced and
	// its data regenerated; the Result has the password.
	Reset Outcome = "reset"
	// Exists: the demo organization existed and was left alone.
	Exists Outcome = "exists"
	// InProgress: another process is creating the demo organization.
	InProgress Outcome = "in progress"
	// NotEmpty: the database already had organizations, so none was
	// created at start-up.
	NotEmpty Outcome = "not empty"
)

// Result is what Ensure or Reset did, with the demo user's credentials
// when they were set.
type Result struct {
	Outcome Outcome
	// Email and Password are the demo user's credentials; Password is
	// empty unless Outcome is Created or Reset. It is never stored.
	Email, Password string
	// OrganizationID is the demo organization, when known.
	OrganizationID bson.ObjectID
}

// Accounts is what the set-up needs of the auth module.
type Accounts interface {
	SignUp(ctx context.Context, in auth.SignUpInput) (*authz.Principal, error)
	LogOut(ctx context.Context, p *authz.Principal) (bool, error)
	ResetPassword(ctx context.Context, email, password string) (*authz.Principal, error)
	OrganizationIDs(ctx context.Context, after bson.ObjectID, limit int) ([]bson.ObjectID, error)
}

// Legal is what the set-up needs of the legal module.
type Legal interface {
	Current(ctx context.Context) ([]legal.Document, error)
	Accept(ctx context.Context, p *authz.Principal, origin legal.Origin, ids []bson.ObjectID) ([]legal.Acceptance, error)
}

// Data is what the set-up needs of the integrations module.
type Data interface {
	SeedDemo(ctx context.Context, org bson.ObjectID, next time.Duration) ([]integrations.Integration, error)
}

// Options are the set-up's collaborators; zero values take the defaults in
// brackets.
type Options struct {
	Accounts Accounts
	Legal    Legal
	Data     Data
	// SyncInterval is when the demo integrations' next scheduled sync is
	// due [integrations.DefaultInterval].
	SyncInterval time.Duration
	// LockWait is how long a set-up waits for another one to finish
	// [30s].
	LockWait time.Duration
	// Now is the clock [time.Now].
	Now func() time.Time
	// Logger receives what the set-up did [discarded]. It never receives
	// a password.
	Logger *slog.Logger
}

// Service sets up the demo organization and tells which it is.
type Service struct {
	store *Store
	opts  Options
	owner string

	mu sync.Mutex
	// known is the demo organization once read; it never changes.
	known bson.ObjectID
	// checked is when the claim was last read and named none.
	checked time.Time
}

// New returns a Service over store.
func New(store *Store, opts Options) *Service {
	if opts.SyncInterval <= 0 {
		opts.SyncInterval = integrations.DefaultInterval
	}
	if opts.LockWait <= 0 {
		opts.LockWait = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{store: store, opts: opts, owner: mongodb.ProcessOwner()}
}

// CheckPassword reports why password (OMNIFY_DEMO_PASSWORD) cannot be the
// demo user's; nil for an empty one, which makes a random password.
func CheckPassword(password string) error {
	if password == "" {
		return nil
	}
	if err := auth.CheckPassword("OMNIFY_DEMO_PASSWORD", password, Email); err != nil {
		msg := err.Error()
		if e, ok := apperr.As(err); ok {
			msg = e.Message
		}
		return fmt.Errorf("OMNIFY_DEMO_PASSWORD: %s", msg)
	}
	return nil
}

// Ensure is the start-up's part: on a database without any organization,
// it creates the demo organization with password (random when empty),
// once across every process; on one whose demo organization exists it
// does nothing. Of processes starting at once on an empty database, one
// creates it (Created) and the others report Exists or InProgress.
func (s *Service) Ensure(ctx context.Context, password string) (Result, error) {
	if err := CheckPassword(password); err != nil {
		return Result{}, err
	}
	c, err := s.store.claim(ctx)
	if err != nil {
		return Result{}, err
	}
	ours := false
	if c == nil {
		orgs, err := s.opts.Accounts.OrganizationIDs(ctx, bson.ObjectID{}, 1)
		if err != nil {
			return Result{}, err
		}
		if len(orgs) > 0 {
			return Result{Outcome: NotEmpty}, nil
		}
		if ours, err = s.store.insertClaim(ctx, s.owner, s.now()); err != nil {
			return Result{}, err
		}
		if !ours {
			if c, err = s.store.claim(ctx); err != nil {
				return Result{}, err
			}
		}
	}
	if c != nil && c.ReadyAt != nil {
		return Result{Outcome: Exists, Email: Email, OrganizationID: c.OrganizationID}, nil
	}
	// Claimed, not made yet: by this process, or by one that may still be
	// at it or may have died. The lock tells: whoever holds it is at it;
	// whoever gets it finishes what is left.
	wait := time.Duration(0)
	if ours {
		wait = s.opts.LockWait
	}
	release, err := s.store.lock(ctx, wait)
	if errors.Is(err, mongodb.ErrLocked) {
		return Result{Outcome: InProgress, Email: Email}, nil
	}
	if err != nil {
		return Result{}, err
	}
	defer release()
	if c, err = s.store.claim(ctx); err != nil {
		return Result{}, err
	}
	if c.ReadyAt != nil {
		return Result{Outcome: Exists, Email: Email, OrganizationID: c.OrganizationID}, nil
	}
	return s.setUp(ctx, c, password)
}

// Reset is `omnify demo`: it creates the demo organization when it does
// not exist (whatever else the database holds), and otherwise sets the
// demo user's password to password (random when empty) and regenerates the
// sample data to end yesterday. It waits for a set-up under way elsewhere.
func (s *Service) Reset(ctx context.Context, password string) (Result, error) {
	if err := CheckPassword(password); err != nil {
		return Result{}, err
	}
	release, err := s.store.lock(ctx, s.opts.LockWait)
	if errors.Is(err, mongodb.ErrLocked) {
		return Result{}, errors.New("demo: another process is setting up the demo organization; try again in a few minutes")
	}
	if err != nil {
		return Result{}, err
	}
	defer release()
	c, err := s.store.claim(ctx)
	if err != nil {
		return Result{}, err
	}
	if c == nil {
		if _, err := s.store.insertClaim(ctx, s.owner, s.now()); err != nil {
			return Result{}, err
		}
		if c, err = s.store.claim(ctx); err != nil {
			return Result{}, err
		}
	}
	return s.setUp(ctx, c, password)
}

// setUp makes or remakes the demo organization from where its claim
// stands; the caller holds the lock. Every step may run again.
func (s *Service) setUp(ctx context.Context, c *claimDoc, password string) (Result, error) {
	outcome := Reset
	if c.ReadyAt == nil {
		outcome = Created
	}
	if password == "" {
		password = randomPassword()
	}
	var p *authz.Principal
	var err error
	if !c.UserID.IsZero() {
		p, err = s.opts.Accounts.ResetPassword(ctx, Email, password)
		if apperr.CodeOf(err) == apperr.NotFound || err == nil && p.OrganizationID != c.OrganizationID {
			// The account or its membership is gone: make it again.
			p, err, outcome = nil, nil, Created
		}
		if err != nil {
			return Result{}, err
		}
	}
	if p == nil {
		if p, err = s.signUp(ctx, password); err != nil {
			return Result{}, err
		}
		if err := s.store.setAccount(ctx, p.OrganizationID, p.UserID); err != nil {
			return Result{}, err
		}
	}
	if _, err := s.opts.Data.SeedDemo(ctx, p.OrganizationID, s.opts.SyncInterval); err != nil {
		return Result{}, err
	}
	if err := s.store.setReady(ctx, s.now()); err != nil {
		return Result{}, err
	}
	s.remember(p.OrganizationID)
	s.opts.Logger.Info("demo organization "+string(outcome), slog.String("organization_id", p.OrganizationID.Hex()),
		slog.String("user_id", p.UserID.Hex()))
	return Result{Outcome: outcome, Email: Email, Password: password, OrganizationID: p.OrganizationID}, nil
}

// signUp creates the demo user and organization through the auth module's
// sign-up, accepting the current legal documents as part of it, and ends
// the sign-up's session. When the email is taken (a set-up interrupted
// after its sign-up), it sets the password of that account instead and
// accepts the documents again (accepting twice changes nothing).
func (s *Service) signUp(ctx context.Context, password string) (*authz.Principal, error) {
	ctx = auth.WithSessionCookie(ctx, discardCookie{})
	accept := func(ctx context.Context, p *authz.Principal) error {
		docs, err := s.opts.Legal.Current(ctx)
		if err != nil {
			return err
		}
		ids := make([]bson.ObjectID, len(docs))
		for i, d := range docs {
			ids[i] = d.ID
		}
		if len(ids) == 0 {
			return nil
		}
		_, err = s.opts.Legal.Accept(ctx, p, legal.Origin{UserAgent: "omnify (demo organization set-up)"}, ids)
		return err
	}
	p, err := s.opts.Accounts.SignUp(ctx, auth.SignUpInput{
		Email: Email, Password: password, Name: UserName, OrganizationName: OrganizationName, Then: accept,
	})
	if apperr.CodeOf(err) == apperr.Conflict {
		if p, err = s.opts.Accounts.ResetPassword(ctx, Email, password); err != nil {
			return nil, err
		}
		return p, accept(ctx, p)
	}
	if err != nil {
		return nil, err
	}
	if _, err := s.opts.Accounts.LogOut(ctx, p); err != nil {
		s.opts.Logger.Warn("demo: end the sign-up's session", slog.Any("error", err))
	}
	return p, nil
}

// IsDemo reports whether org is the demo organization. A process reads the
// claim once it names the organization; before, at most every few seconds,
// so a demo organization made by another process meanwhile is known within
// them.
func (s *Service) IsDemo(ctx context.Context, org bson.ObjectID) (bool, error) {
	const recheck = 5 * time.Second
	s.mu.Lock()
	known, checked := s.known, s.checked
	s.mu.Unlock()
	if !known.IsZero() || s.opts.Now().Sub(checked) < recheck {
		return !known.IsZero() && known == org, nil
	}
	c, err := s.store.claim(ctx)
	if err != nil {
		return false, err
	}
	if c != nil && !c.OrganizationID.IsZero() {
		s.remember(c.OrganizationID)
		return c.OrganizationID == org, nil
	}
	s.mu.Lock()
	s.checked = s.opts.Now()
	s.mu.Unlock()
	return false, nil
}

// remember keeps the demo organization's id for IsDemo.
func (s *Service) remember(org bson.ObjectID) {
	s.mu.Lock()
	s.known = org
	s.mu.Unlock()
}

// now returns the current time in UTC at the precision BSON stores.
func (s *Service) now() time.Time { return s.opts.Now().UTC().Truncate(time.Millisecond) }

// passwordAlphabet leaves out characters easily misread (0 O 1 l I).
const passwordAlphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// randomPassword is 20 characters of passwordAlphabet (about 116 bits),
// in groups of five for reading aloud.
func randomPassword() string {
	b := make([]byte, 0, 23)
	for i := range 20 {
		if i > 0 && i%5 == 0 {
			b = append(b, '-')
		}
		b = append(b, passwordAlphabet[randIndex(len(passwordAlphabet))])
	}
	return string(b)
}

// randIndex is a uniform random index below n.
func randIndex(n int) int {
	var buf [1]byte
	limit := 256 - 256%n
	for {
		_, _ = rand.Read(buf[:])
		if int(buf[0]) < limit {
			return int(buf[0]) % n
		}
	}
}

// discardCookie takes the session cookie of the set-up's sign-up, which no
// browser receives.
type discardCookie struct{}

func (discardCookie) Set(string, time.Time) {}
func (discardCookie) Clear()                {}
