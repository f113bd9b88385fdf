package auth

import (
	"context"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/authz"
)

// Change names the principals whose authority a write may just have reduced
// or ended. Exactly one form is used:
//
//   - SessionID: that session (logged out);
//   - APIKeyID: that key (revoked);
//   - UserID and OrganizationID: the user's sessions acting in the
//     organization and the keys they created there (role changed, removed);
//   - UserID alone: every session of the user (password changed).
type Change struct {
	SessionID      string
	APIKeyID       bson.ObjectID
	UserID         bson.ObjectID
	OrganizationID bson.ObjectID
}

// Affects reports whether the change may concern p.
func (c Change) Affects(p *authz.Principal) bool {
	switch {
	case p == nil:
		return false
	case c.SessionID != "":
		return p.SessionID == c.SessionID
	case !c.APIKeyID.IsZero():
		return p.APIKeyID == c.APIKeyID
	case !c.OrganizationID.IsZero():
		return p.OrganizationID == c.OrganizationID &&
			(p.UserID == c.UserID || (p.IsAPIKey() && p.KeyCreatorID == c.UserID))
	case !c.UserID.IsZero():
		return p.UserID == c.UserID
	}
	return false
}

// watch is one long-lived connection that wants to hear about changes.
type watch struct {
	current func() *authz.Principal
	recheck func(context.Context)
}

// watchers are the open connections of this process. Other replicas learn
// of a change only from their periodic re-check; this process need not wait.
type watchers struct {
	mu  sync.Mutex
	set map[*watch]struct{}
}

// Watch registers a long-lived connection: after each change this process
// makes that affects current(), recheck runs before the call that made the
// change returns. recheck must check the principal again and act on the
// answer; it may run concurrently with the connection's own periodic
// re-check, which remains the backstop (for changes made by other replicas,
// and for re-checks that could not finish within changeRecheckWait). Call
// stop when the connection ends.
func (s *Service) Watch(current func() *authz.Principal, recheck func(context.Context)) (stop func()) {
	w := &watch{current: current, recheck: recheck}
	s.watchers.mu.Lock()
	if s.watchers.set == nil {
		s.watchers.set = map[*watch]struct{}{}
	}
	s.watchers.set[w] = struct{}{}
	s.watchers.mu.Unlock()
	return func() {
		s.watchers.mu.Lock()
		delete(s.watchers.set, w)
		s.watchers.mu.Unlock()
	}
}

// Bounds on the re-checks a change triggers: they run inside the request
// that made the change, which must still answer promptly.
const (
	changeRecheckWait        = 10 * time.Second
	changeRecheckConcurrency = 16
)

// changed re-checks the open connections c affects and waits for them, so
// that when the mutation that reduced someone's authority answers, none of
// this process's connections still acts with the old authority.
func (s *Service) changed(ctx context.Context, c Change) {
	s.watchers.mu.Lock()
	var affected []*watch
	for w := range s.watchers.set {
		if c.Affects(w.current()) {
			affected = append(affected, w)
		}
	}
	s.watchers.mu.Unlock()
	if len(affected) == 0 {
		return
	}
	// The change is made; the caller leaving does not undo it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), changeRecheckWait)
	defer cancel()
	slots := make(chan struct{}, changeRecheckConcurrency)
	var wg sync.WaitGroup
	for _, w := range affected {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return // the connection's periodic re-check will see it
			}
			defer func() { <-slots }()
			w.recheck(ctx)
		}()
	}
	wg.Wait()
}
