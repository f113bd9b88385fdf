package auth

import (
	"context"
	"time"

	"github.com/maypok86/otter/v2"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// objectCache keeps, for the principal cache's TTL, the users and
// organizations that dataloaders read by id, so that `me { user
// organization }` and the lists that name members cost no database round
// trip when asked again soon. It is per process.
//
// What the API shows of a user (email, name, sign-up time) and of an
// organization (name, creation time) never changes once the sign-up that
// created them is finished, so a kept copy can only be as old as the TTL
// allows, never wrong. What does change is handled:
//
//   - A user whose sign-up is unfinished is not kept: an undone sign-up
//     deletes it. The undo drops the organization it deletes.
//   - Every change of authority that names a user (a password change, a
//     removal) drops that user, here and on other processes as the change
//     reaches them, so a future change of what is shown only has to be
//     announced like the others.
//   - A kept user has no password hash: only the loaders read from here.
//
// A code path that someday renames users or organizations must announce it
// as a Change (see Service.changed) or bypass this cache.
type objectCache struct {
	ttl   time.Duration
	users *otter.Cache[bson.ObjectID, timed[User]]
	orgs  *otter.Cache[bson.ObjectID, timed[Organization]]
}

// timed is a kept copy and when it stops being served.
type timed[T any] struct {
	v     T
	until time.Time
}

// newObjectCache returns a cache of at most entries users and as many
// organizations, kept for ttl, or nil (every read goes to the database) when
// ttl is not positive.
func newObjectCache(ttl time.Duration, entries int) *objectCache {
	if ttl <= 0 {
		return nil
	}
	return &objectCache{
		ttl:   ttl,
		users: otter.Must(&otter.Options[bson.ObjectID, timed[User]]{MaximumSize: entries}),
		orgs:  otter.Must(&otter.Options[bson.ObjectID, timed[Organization]]{MaximumSize: entries}),
	}
}

// byIDs answers what it keeps of ids from items and reads the rest with
// read, keeping those that keep allows.
func byIDs[T any](ctx context.Context, items *otter.Cache[bson.ObjectID, timed[T]], ttl time.Duration, ids []bson.ObjectID,
	id func(T) bson.ObjectID, keep func(T) (T, bool), read func(context.Context, []bson.ObjectID) ([]T, error)) ([]T, error) {
	if items == nil {
		return read(ctx, ids)
	}
	now := time.Now()
	out := make([]T, 0, len(ids))
	var missing []bson.ObjectID
	for _, k := range ids {
		if v, ok := fresh(items, k, now); ok {
			out = append(out, *v)
			continue
		}
		missing = append(missing, k)
	}
	if len(missing) == 0 {
		return out, nil
	}
	got, err := read(ctx, missing)
	if err != nil {
		return nil, err
	}
	until := now.Add(ttl)
	for _, v := range got {
		if kept, ok := keep(v); ok {
			items.Set(id(v), timed[T]{v: kept, until: until})
		}
	}
	return append(out, got...), nil
}

// UsersByIDs returns the users with the given ids that exist, in any
// order, reading only those not kept, in one query; for dataloaders. The
// ids come from memberships and records the caller may already see.
func (s *Service) UsersByIDs(ctx context.Context, ids []bson.ObjectID) ([]User, error) {
	if s.objects == nil {
		return s.store.UsersByIDs(ctx, ids)
	}
	return byIDs(ctx, s.objects.users, s.objects.ttl, ids, func(u User) bson.ObjectID { return u.ID },
		func(u User) (User, bool) {
			u.PasswordHash = ""
			return u, u.PendingSignUp == nil
		}, s.store.UsersByIDs)
}

// OrganizationsByIDs returns the organizations with the given ids that
// exist, in any order, reading only those not kept, in one query; for
// dataloaders.
func (s *Service) OrganizationsByIDs(ctx context.Context, ids []bson.ObjectID) ([]Organization, error) {
	if s.objects == nil {
		return s.store.OrganizationsByIDs(ctx, ids)
	}
	return byIDs(ctx, s.objects.orgs, s.objects.ttl, ids, func(o Organization) bson.ObjectID { return o.ID },
		func(o Organization) (Organization, bool) { return o, true }, s.store.OrganizationsByIDs)
}

// forget drops what c names: its user, and its organization when it names
// one without a user (an organization-wide change).
func (c *objectCache) forget(ch Change) {
	if c == nil {
		return
	}
	if !ch.UserID.IsZero() {
		c.users.Invalidate(ch.UserID)
	}
	if !ch.OrganizationID.IsZero() && ch.UserID.IsZero() {
		c.orgs.Invalidate(ch.OrganizationID)
	}
}

// forgetOrganization drops organization id (an undone sign-up deleted it).
func (c *objectCache) forgetOrganization(id bson.ObjectID) {
	if c != nil {
		c.orgs.Invalidate(id)
	}
}

// KeptUser returns the user with id if this process keeps it, without a
// database read; loaders.UserByID asks here before it waits for more keys.
func (s *Service) KeptUser(id bson.ObjectID) (*User, bool) {
	if s.objects == nil {
		return nil, false
	}
	return fresh(s.objects.users, id, time.Now())
}

// KeptOrganization returns the organization with id if this process keeps
// it, like KeptUser.
func (s *Service) KeptOrganization(id bson.ObjectID) (*Organization, bool) {
	if s.objects == nil {
		return nil, false
	}
	return fresh(s.objects.orgs, id, time.Now())
}

// fresh returns a copy of what items keeps under id while it may be served.
func fresh[T any](items *otter.Cache[bson.ObjectID, timed[T]], id bson.ObjectID, now time.Time) (*T, bool) {
	e, ok := items.GetIfPresent(id)
	if !ok || !now.Before(e.until) {
		return nil, false
	}
	v := e.v
	return &v, true
}
