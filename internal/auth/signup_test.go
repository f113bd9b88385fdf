package auth

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
)

// A process killed in the middle of a sign-up stops between two of its
// writes. These tests perform only the first writes, as such a process
// would have, then check that each way back (signing up again, logging in,
// starting the next process) leaves a complete account that can log in.
func TestInterruptedSignUpsConverge(t *testing.T) {
	const pass = "a long enough password"
	recoveries := []struct {
		name string
		run  func(t *testing.T, s *Service, email string)
	}{
		{"sign up again", func(t *testing.T, s *Service, email string) {
			_, err := s.SignUp(WithSessionCookie(context.Background(), &jar{}),
				SignUpInput{Email: email, Password: "another long password", Name: "Again", OrganizationName: "Again"})
			if ae, ok := apperr.As(err); !ok || ae.Code != apperr.Conflict || ae.Field != "email" {
				t.Fatalf("second sign-up: %v, want CONFLICT on email", err)
			}
		}},
		{"log in", func(t *testing.T, s *Service, email string) {
			if _, err := s.LogIn(WithSessionCookie(context.Background(), &jar{}), email, pass); err != nil {
				t.Fatalf("log in: %v", err)
			}
		}},
		{"start the next process", func(t *testing.T, s *Service, _ string) {
			if err := s.FinishSignUps(context.Background()); err != nil {
				t.Fatal(err)
			}
		}},
	}

	s, store := newService(t)
	steps := len(s.signUpSteps(User{PendingSignUp: &PendingSignUp{}}))
	for done := 1; done <= steps; done++ {
		for _, rec := range recoveries {
			t.Run(fmt.Sprintf("%s after step %d", rec.name, done), func(t *testing.T) {
				ctx := context.Background()
				email := fmt.Sprintf("step%d-%s@example.com", done, bson.NewObjectID().Hex())
				u, err := s.newSignUp(ctx, SignUpInput{Email: email, Password: pass, Name: "Interrupted", OrganizationName: "Interrupted Co"})
				if err != nil {
					t.Fatal(err)
				}
				for _, step := range s.signUpSteps(u)[:done] {
					if err := step(ctx); err != nil {
						t.Fatal(err)
					}
				}

				rec.run(t, s, email)

				// One complete account: the user, not pending, the OWNER of
				// the organization the interrupted sign-up named.
				users, _ := store.UsersByIDs(ctx, []bson.ObjectID{u.ID})
				if len(users) != 1 || users[0].PendingSignUp != nil {
					t.Fatalf("user %+v, want one complete user", users)
				}
				orgs, _ := store.OrganizationsByIDs(ctx, []bson.ObjectID{u.PendingSignUp.OrganizationID})
				members, _ := list(store.MembershipsOfUser(ctx, u.ID, all))
				if len(orgs) != 1 || orgs[0].Name != "Interrupted Co" || len(members) != 1 ||
					members[0].Role != authz.RoleOwner || members[0].OrganizationID != orgs[0].ID {
					t.Fatalf("organizations %+v, memberships %+v", orgs, members)
				}
				p, err := s.LogIn(WithSessionCookie(ctx, &jar{}), email, pass)
				if err != nil || p.OrganizationID != orgs[0].ID || p.Role != authz.RoleOwner {
					t.Fatalf("log in: %+v, %v", p, err)
				}
			})
		}
	}
}

// Only users that are still pending are touched at start-up, and finishing
// one twice (two processes starting at once) is harmless.
func TestFinishSignUpsIsIdempotent(t *testing.T) {
	s, store := newService(t)
	ctx := context.Background()
	done := signUpUser(t, s, "done@example.com")
	u, err := s.newSignUp(ctx, SignUpInput{Email: "pending@example.com", Password: "a long enough password", Name: "P", OrganizationName: "P Co"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.signUpSteps(u)[0](ctx); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- s.FinishSignUps(ctx) }()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []bson.ObjectID{done.UserID, u.ID} {
		ms, err := list(store.MembershipsOfUser(ctx, id, all))
		if err != nil || len(ms) != 1 {
			t.Fatalf("user %s has memberships %+v (%v), want one", id.Hex(), ms, err)
		}
	}
}

func TestSignUpWhoseLastStepFailsIsUndone(t *testing.T) {
	s, store := newService(t)
	j := &jar{}
	ctx := WithSessionCookie(context.Background(), j)
	in := SignUpInput{Email: "undo@example.com", Password: "a long enough password", Name: "U", OrganizationName: "Undo"}
	failed := errors.New("recording failed")
	var started *authz.Principal
	in.Then = func(_ context.Context, p *authz.Principal) error { started = p; return failed }
	if _, err := s.SignUp(ctx, in); !errors.Is(err, failed) {
		t.Fatalf("sign-up: %v, want the last step's error", err)
	}
	if j.token != "" {
		t.Fatal("a failed sign-up set the session cookie")
	}
	if _, err := store.UserByEmail(ctx, "undo@example.com"); !errors.Is(err, errNotFound) {
		t.Fatalf("the user is left: %v", err)
	}
	if orgs, _ := store.OrganizationsByIDs(ctx, []bson.ObjectID{started.OrganizationID}); len(orgs) != 0 {
		t.Fatalf("the organization is left: %+v", orgs)
	}
	if ms, _ := list(store.MembershipsOfOrganization(ctx, started.OrganizationID, all)); len(ms) != 0 {
		t.Fatalf("the membership is left: %+v", ms)
	}
	if _, err := store.Session(ctx, started.SessionID); !errors.Is(err, errNotFound) {
		t.Fatalf("the session is left: %v", err)
	}

	in.Then = nil
	if _, err := s.SignUp(ctx, in); err != nil || j.token == "" {
		t.Fatalf("sign up again: %v (cookie %q)", err, j.token)
	}
}
