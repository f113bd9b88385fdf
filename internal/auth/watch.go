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
//   - SessionID: that session (logged out, or switched to another
//     organization);
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
// of a change through notify (see OnChange), or else from their periodic
// re-check; this process need not wait.
type watchers struct {
	mu     sync.Mutex
	set    map[*watch]struct{}
	notify func(context.Context, Change)
}

// OnChange sets the function told of every change this process makes, so
// that other processes can re-check their connections at once too (the
// composition root publishes it on the event bus; they call ApplyChange).
// It is called as the change is made, before this process's own
// connections are re-checked, and must not wait for the other processes.
func (s *Service) OnChange(notify func(ctx context.Context, c Change)) {
	s.watchers.mu.Lock()
	s.watchers.notify = notify
	s.watchers.mu.Unlock()
}

// ApplyChange re-checks this process's open connections that c affects, as
// a change made here does, and waits for them (within a bound). It is for
// changes made by other processes, after Forget has dropped what this
// process cached of them; a change that affects no connection here costs
// nothing.
func (s *Service) ApplyChange(ctx context.Context, c Change) { s.recheck(ctx, c) }

// Watch registers a long-lived connection: after each change this process
// makes that affects current(), recheck runs before the call that made the
// change returns. recheck must check the principal again and act on the
// answer; it may run concurrently with the connection's own periodic
// re-check, which remains the backstop (for changes of other replicas that
// did not arrive through ApplyChange, and for re-checks that could not
// finish within changeRecheckWait). Call stop when the connection ends.
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

// changed drops the principals c affects from this process's cache, tells
// the other processes of c (OnChange), then re-checks the open connections
// c affects and waits for them, so that when the mutation that reduced
// someone's authority answers, no request or connection of this process
// still acts with the old authority.
func (s *Service) changed(ctx context.Context, c Change) {
	s.Forget(c)
	s.watchers.mu.Lock()
	notify := s.watchers.notify
	s.watchers.mu.Unlock()
	if notify != nil {
		notify(ctx, c)
	}
	s.recheck(ctx, c)
}

// recheck re-checks the open connections c affects and waits for them.
func (s *Service) recheck(ctx context.Context, c Change) {
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
