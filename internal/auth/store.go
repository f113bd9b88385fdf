package auth

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/mongodb"
	"github.com/omnify/bff/internal/page"
)

// errNotFound and errDuplicate are the store's own failures; the service
// turns them into errors a caller can act on.
var (
	errNotFound  = errors.New("auth store: not found")
	errDuplicate = errors.New("auth store: duplicate key")
)

// Store keeps the auth module's documents in MongoDB. It is the one place
// of the module that knows their BSON shape: filters, sorts and updates are
// all here, and the service sees only Go values.
type Store struct {
	users, orgs, members, sessions, keys, failures, locks, invitations *mongo.Collection
}

// NewStore returns a store over db's auth collections.
func NewStore(db *mongodb.DB) *Store {
	d := db.Database
	return &Store{
		users:       d.Collection("users"),
		orgs:        d.Collection("organizations"),
		members:     d.Collection("memberships"),
		sessions:    d.Collection("sessions"),
		keys:        d.Collection("api_keys"),
		failures:    d.Collection("login_failures"),
		locks:       d.Collection("locks"),
		invitations: d.Collection("invitations"),
	}
}

// EnsureIndexes creates the store's indexes; it is safe to call at every start.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	asc := func(keys ...string) bson.D {
		d := bson.D{}
		for _, k := range keys {
			d = append(d, bson.E{Key: k, Value: 1})
		}
		return d
	}
	steps := []struct {
		coll    *mongo.Collection
		indexes []mongodb.Index
	}{
		{s.users, []mongodb.Index{
			{Name: "email_unique", Keys: asc("email"), Unique: true},
			{Name: "pending_sign_up", Keys: asc("pendingSignUp.startedAt")},
		}},
		{s.members, []mongodb.Index{
			{Name: "user_org_unique", Keys: asc("userId", "organizationId"), Unique: true},
			{Name: "organization", Keys: asc("organizationId")},
			{Name: "organization_created", Keys: asc("organizationId", "createdAt", "_id")},
			{Name: "user_created", Keys: asc("userId", "createdAt", "_id")},
		}},
		{s.sessions, []mongodb.Index{
			{Name: "user", Keys: asc("userId")},
			{Name: "expires_ttl", Keys: asc("expiresAt"), TTL: 1},
		}},
		{s.keys, []mongodb.Index{
			{Name: "organization", Keys: asc("organizationId")},
			{Name: "organization_created", Keys: asc("organizationId", "createdAt", "_id")},
		}},
		{s.invitations, []mongodb.Index{
			// One open invitation per address and organization.
			{Name: "organization_email_unique", Keys: asc("organizationId", "email"), Unique: true},
			{Name: "email", Keys: asc("email")},
			{Name: "organization_created", Keys: asc("organizationId", "createdAt", "_id")},
		}},
		{s.failures, []mongodb.Index{
			{Name: "key_at", Keys: asc("key", "at")},
			{Name: "at_ttl", Keys: asc("at"), TTL: 24 * 3600},
		}},
	}
	for _, st := range steps {
		if err := mongodb.EnsureIndexes(ctx, st.coll, st.indexes...); err != nil {
			return fmt.Errorf("auth: %w", err)
		}
	}
	return nil
}

func insert(ctx context.Context, c *mongo.Collection, doc any) error {
	if _, err := c.InsertOne(ctx, doc); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return errDuplicate
		}
		return fmt.Errorf("insert into %s: %w", c.Name(), err)
	}
	return nil
}

func findOne[T any](ctx context.Context, c *mongo.Collection, filter any) (T, error) {
	var v T
	err := c.FindOne(ctx, filter).Decode(&v)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return v, errNotFound
	}
	if err != nil {
		return v, fmt.Errorf("find in %s: %w", c.Name(), err)
	}
	return v, nil
}

func findAll[T any](ctx context.Context, c *mongo.Collection, filter any, opts ...options.Lister[options.FindOptions]) ([]T, error) {
	cur, err := c.Find(ctx, filter, opts...)
	if err != nil {
		return nil, fmt.Errorf("find in %s: %w", c.Name(), err)
	}
	var out []T
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read %s: %w", c.Name(), err)
	}
	return out, nil
}

// Every paged list of the module is in creation order, and its cursors
// carry the creation time (Unix milliseconds) and the id that breaks ties.
const (
	ascending  = 1
	descending = -1
)

// createdKey is the sort key of a document created at at with id id.
func createdKey(at time.Time, id bson.ObjectID) []string {
	return []string{strconv.FormatInt(at.UnixMilli(), 10), id.Hex()}
}

// findPage returns a page of the documents matching filter, in (createdAt,
// _id) order in direction dir, after r.After, and the number of all of
// them. key is the sort key of a document (createdKey).
func findPage[T any](ctx context.Context, c *mongo.Collection, filter bson.D, dir int, r page.Request, key func(T) []string) (page.Page[T], error) {
	total, err := c.CountDocuments(ctx, filter)
	if err != nil {
		return page.Page[T]{}, fmt.Errorf("count %s: %w", c.Name(), err)
	}
	q := filter
	if r.After != nil {
		ms, err1 := strconv.ParseInt(r.After[0], 10, 64)
		id, err2 := bson.ObjectIDFromHex(r.After[1])
		if err1 != nil || err2 != nil {
			return page.Page[T]{}, apperr.Invalid("after", "The cursor is not valid; start again from the first page.")
		}
		at := time.UnixMilli(ms).UTC()
		op := "$gt"
		if dir == descending {
			op = "$lt"
		}
		q = append(append(bson.D{}, filter...), bson.E{Key: "$or", Value: bson.A{
			bson.D{{Key: "createdAt", Value: bson.D{{Key: op, Value: at}}}},
			bson.D{{Key: "createdAt", Value: at}, {Key: "_id", Value: bson.D{{Key: op, Value: id}}}},
		}})
	}
	items, err := findAll[T](ctx, c, q, options.Find().
		SetSort(bson.D{{Key: "createdAt", Value: dir}, {Key: "_id", Value: dir}}).
		SetLimit(int64(r.First+1)))
	if err != nil {
		return page.Page[T]{}, err
	}
	return page.Make(r, items, int(total), key), nil
}

// InsertUser stores a new user; errDuplicate when the email is taken.
func (s *Store) InsertUser(ctx context.Context, u User) error { return insert(ctx, s.users, u) }

// ClearPendingSignUp marks a user's sign-up finished.
func (s *Store) ClearPendingSignUp(ctx context.Context, id bson.ObjectID) error {
	if _, err := s.users.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$unset": bson.M{"pendingSignUp": ""}}); err != nil {
		return fmt.Errorf("finish sign-up: %w", err)
	}
	return nil
}

// PendingSignUps returns the users whose sign-up started before a moment
// and is not finished.
func (s *Store) PendingSignUps(ctx context.Context, before time.Time) ([]User, error) {
	return findAll[User](ctx, s.users, bson.M{"pendingSignUp.startedAt": bson.M{"$lte": before}})
}

// UserByEmail finds a user by normalized email.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	return findOne[User](ctx, s.users, bson.M{"email": email})
}

// User finds a user by id.
func (s *Store) User(ctx context.Context, id bson.ObjectID) (User, error) {
	return findOne[User](ctx, s.users, bson.M{"_id": id})
}

// DeleteUser removes a user (a sign-up being undone).
func (s *Store) DeleteUser(ctx context.Context, id bson.ObjectID) error {
	if _, err := s.users.DeleteOne(ctx, bson.M{"_id": id}); err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	return nil
}

// UsersByIDs returns the users with the given ids, in no particular order.
func (s *Store) UsersByIDs(ctx context.Context, ids []bson.ObjectID) ([]User, error) {
	return findAll[User](ctx, s.users, bson.M{"_id": bson.M{"$in": ids}})
}

// SetPassword replaces a user's password hash.
func (s *Store) SetPassword(ctx context.Context, id bson.ObjectID, hash string, now time.Time) error {
	_, err := s.users.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"passwordHash": hash, "updatedAt": now}})
	return err
}

// InsertOrganization stores a new organization.
func (s *Store) InsertOrganization(ctx context.Context, o Organization) error {
	return insert(ctx, s.orgs, o)
}

// Organization finds an organization by id.
func (s *Store) Organization(ctx context.Context, id bson.ObjectID) (Organization, error) {
	return findOne[Organization](ctx, s.orgs, bson.M{"_id": id})
}

// DeleteOrganization removes an organization (a sign-up being undone).
func (s *Store) DeleteOrganization(ctx context.Context, id bson.ObjectID) error {
	if _, err := s.orgs.DeleteOne(ctx, bson.M{"_id": id}); err != nil {
		return fmt.Errorf("delete organization: %w", err)
	}
	return nil
}

// OrganizationsByIDs returns the organizations with the given ids.
func (s *Store) OrganizationsByIDs(ctx context.Context, ids []bson.ObjectID) ([]Organization, error) {
	return findAll[Organization](ctx, s.orgs, bson.M{"_id": bson.M{"$in": ids}})
}

// OrganizationIDs returns up to limit organization ids greater than after,
// in order, for passes over every organization.
func (s *Store) OrganizationIDs(ctx context.Context, after bson.ObjectID, limit int) ([]bson.ObjectID, error) {
	docs, err := findAll[struct {
		ID bson.ObjectID `bson:"_id"`
	}](ctx, s.orgs, bson.M{"_id": bson.M{"$gt": after}},
		options.Find().SetSort(bson.M{"_id": 1}).SetLimit(int64(limit)).SetProjection(bson.M{"_id": 1}))
	if err != nil {
		return nil, err
	}
	ids := make([]bson.ObjectID, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	return ids, nil
}

// CountOwners counts an organization's OWNERs.
func (s *Store) CountOwners(ctx context.Context, orgID bson.ObjectID) (int64, error) {
	n, err := s.members.CountDocuments(ctx, bson.M{"organizationId": orgID, "role": authz.RoleOwner})
	if err != nil {
		return 0, fmt.Errorf("count owners: %w", err)
	}
	return n, nil
}

// LockMembers takes the organization's membership lock, under which role
// changes check and keep the "at least one OWNER" rule.
func (s *Store) LockMembers(ctx context.Context, orgID bson.ObjectID) (func(), error) {
	return mongodb.Lock(ctx, s.locks, "members:"+orgID.Hex(), 30*time.Second, 10*time.Second)
}

// InsertMembership stores a membership; errDuplicate when the user is
// already a member.
func (s *Store) InsertMembership(ctx context.Context, m Membership) error {
	return insert(ctx, s.members, m)
}

// Membership finds a user's membership in an organization.
func (s *Store) Membership(ctx context.Context, orgID, userID bson.ObjectID) (Membership, error) {
	return findOne[Membership](ctx, s.members, bson.M{"organizationId": orgID, "userId": userID})
}

// MembershipByID finds a membership by its id.
func (s *Store) MembershipByID(ctx context.Context, id bson.ObjectID) (Membership, error) {
	return findOne[Membership](ctx, s.members, bson.M{"_id": id})
}

// FirstMembershipOfUser finds the user's oldest membership.
func (s *Store) FirstMembershipOfUser(ctx context.Context, userID bson.ObjectID) (Membership, error) {
	ms, err := findAll[Membership](ctx, s.members, bson.M{"userId": userID},
		options.Find().SetSort(bson.D{{Key: "createdAt", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(1))
	if err != nil {
		return Membership{}, err
	}
	if len(ms) == 0 {
		return Membership{}, errNotFound
	}
	return ms[0], nil
}

// MembershipsOfUser returns a page of a user's memberships, oldest first.
func (s *Store) MembershipsOfUser(ctx context.Context, userID bson.ObjectID, r page.Request) (page.Page[Membership], error) {
	return findPage(ctx, s.members, bson.D{{Key: "userId", Value: userID}}, ascending, r, membershipKey)
}

// MembershipsOfOrganization returns a page of an organization's members,
// oldest first.
func (s *Store) MembershipsOfOrganization(ctx context.Context, orgID bson.ObjectID, r page.Request) (page.Page[Membership], error) {
	return findPage(ctx, s.members, bson.D{{Key: "organizationId", Value: orgID}}, ascending, r, membershipKey)
}

func membershipKey(m Membership) []string { return createdKey(m.CreatedAt, m.ID) }

// DeleteMembershipByID removes a membership by id (a sign-up being undone).
func (s *Store) DeleteMembershipByID(ctx context.Context, id bson.ObjectID) error {
	if _, err := s.members.DeleteOne(ctx, bson.M{"_id": id}); err != nil {
		return fmt.Errorf("delete membership: %w", err)
	}
	return nil
}

// SetRole changes a member's role if it is still from; false if it changed
// meanwhile or the membership is gone.
func (s *Store) SetRole(ctx context.Context, orgID, userID bson.ObjectID, from, to authz.Role, now time.Time) (Membership, bool, error) {
	var m Membership
	err := s.members.FindOneAndUpdate(ctx,
		bson.M{"organizationId": orgID, "userId": userID, "role": from},
		bson.M{"$set": bson.M{"role": to, "updatedAt": now}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&m)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("update role: %w", err)
	}
	return m, true, nil
}

// DeleteMembership removes a membership if its role is still role.
func (s *Store) DeleteMembership(ctx context.Context, orgID, userID bson.ObjectID, role authz.Role) (bool, error) {
	res, err := s.members.DeleteOne(ctx, bson.M{"organizationId": orgID, "userId": userID, "role": role})
	if err != nil {
		return false, fmt.Errorf("delete membership: %w", err)
	}
	return res.DeletedCount == 1, nil
}

// InsertSession stores a session.
func (s *Store) InsertSession(ctx context.Context, sess Session) error {
	return insert(ctx, s.sessions, sess)
}

// Session finds a session by its token hash.
func (s *Store) Session(ctx context.Context, id string) (Session, error) {
	return findOne[Session](ctx, s.sessions, bson.M{"_id": id})
}

// TouchSession records use of a session, at most once per interval, and
// extends its idle expiry (never beyond the absolute one).
func (s *Store) TouchSession(ctx context.Context, id string, now, expires time.Time, interval time.Duration) error {
	_, err := s.sessions.UpdateOne(ctx,
		bson.M{"_id": id, "lastUsedAt": bson.M{"$lt": now.Add(-interval)}},
		bson.M{"$set": bson.M{"lastUsedAt": now, "expiresAt": expires}})
	return err
}

// SetSessionOrganization changes the organization a session acts in.
func (s *Store) SetSessionOrganization(ctx context.Context, id string, orgID bson.ObjectID) error {
	_, err := s.sessions.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"organizationId": orgID}})
	return err
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	_, err := s.sessions.DeleteOne(ctx, bson.M{"_id": id})
	return err
}

// DeleteSessionsOfUser ends every session of a user.
func (s *Store) DeleteSessionsOfUser(ctx context.Context, userID bson.ObjectID) error {
	if _, err := s.sessions.DeleteMany(ctx, bson.M{"userId": userID}); err != nil {
		return fmt.Errorf("delete sessions: %w", err)
	}
	return nil
}

// DeleteOtherSessions ends every session of a user except keep.
func (s *Store) DeleteOtherSessions(ctx context.Context, userID bson.ObjectID, keep string) (int64, error) {
	res, err := s.sessions.DeleteMany(ctx, bson.M{"userId": userID, "_id": bson.M{"$ne": keep}})
	if err != nil {
		return 0, fmt.Errorf("delete sessions: %w", err)
	}
	return res.DeletedCount, nil
}

// InsertAPIKey stores a key.
func (s *Store) InsertAPIKey(ctx context.Context, k APIKey) error { return insert(ctx, s.keys, k) }

// APIKeyForAuthentication finds a key by id to check a presented secret.
// It is the one lookup not scoped to an organization: the organization is
// what the key, once checked, tells us.
func (s *Store) APIKeyForAuthentication(ctx context.Context, id bson.ObjectID) (APIKey, error) {
	return findOne[APIKey](ctx, s.keys, bson.M{"_id": id})
}

// APIKey finds a key of the organization.
func (s *Store) APIKey(ctx context.Context, orgID, id bson.ObjectID) (APIKey, error) {
	return findOne[APIKey](ctx, s.keys, bson.M{"_id": id, "organizationId": orgID})
}

// APIKeys returns a page of an organization's keys, newest first.
func (s *Store) APIKeys(ctx context.Context, orgID bson.ObjectID, r page.Request) (page.Page[APIKey], error) {
	return findPage(ctx, s.keys, bson.D{{Key: "organizationId", Value: orgID}}, descending, r,
		func(k APIKey) []string { return createdKey(k.CreatedAt, k.ID) })
}

// DeleteAPIKey removes a key of the organization (only one just inserted
// past the limit, whose secret nobody has seen).
func (s *Store) DeleteAPIKey(ctx context.Context, orgID, id bson.ObjectID) error {
	if _, err := s.keys.DeleteOne(ctx, bson.M{"_id": id, "organizationId": orgID}); err != nil {
		return fmt.Errorf("delete key: %w", err)
	}
	return nil
}

// CountAPIKeys counts an organization's keys that are not revoked.
func (s *Store) CountAPIKeys(ctx context.Context, orgID bson.ObjectID) (int64, error) {
	return s.keys.CountDocuments(ctx, bson.M{"organizationId": orgID, "revokedAt": bson.M{"$exists": false}})
}

// RevokeAPIKey marks a key of the organization revoked (once) and returns it.
func (s *Store) RevokeAPIKey(ctx context.Context, orgID, id bson.ObjectID, now time.Time) (APIKey, error) {
	var k APIKey
	err := s.keys.FindOneAndUpdate(ctx,
		bson.M{"_id": id, "organizationId": orgID, "revokedAt": bson.M{"$exists": false}},
		bson.M{"$set": bson.M{"revokedAt": now}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&k)
	if errors.Is(err, mongo.ErrNoDocuments) {
		// Already revoked, or not this organization's: tell them apart.
		return findOne[APIKey](ctx, s.keys, bson.M{"_id": id, "organizationId": orgID})
	}
	if err != nil {
		return k, fmt.Errorf("revoke key: %w", err)
	}
	return k, nil
}

// TouchAPIKey records use of a key at most once per interval.
func (s *Store) TouchAPIKey(ctx context.Context, id bson.ObjectID, now time.Time, interval time.Duration) error {
	_, err := s.keys.UpdateOne(ctx,
		bson.M{"_id": id, "$or": bson.A{bson.M{"lastUsedAt": bson.M{"$exists": false}}, bson.M{"lastUsedAt": bson.M{"$lt": now.Add(-interval)}}}},
		bson.M{"$set": bson.M{"lastUsedAt": now}})
	return err
}

// LoginAttempt notes one password check under one key (an email, a client
// address). It is written before the password is checked and deleted again
// if the check succeeds or is refused, so what remains are failures, plus
// the checks in progress.
type LoginAttempt struct {
	ID  bson.ObjectID `bson:"_id"` // the note's id
	Key string        `bson:"key"` // "email:<address>" or "ip:<address>"
	At  time.Time     `bson:"at"`  // when the check began
}

// RecordLoginAttempt notes one password check under each key and returns
// the notes' ids, in the order of keys. Each note is its own insert, which
// is atomic on every engine.
func (s *Store) RecordLoginAttempt(ctx context.Context, keys []string, at time.Time) ([]bson.ObjectID, error) {
	ids := make([]bson.ObjectID, len(keys))
	docs := make([]any, len(keys))
	for i, k := range keys {
		ids[i] = bson.NewObjectID()
		docs[i] = LoginAttempt{ID: ids[i], Key: k, At: at}
	}
	if _, err := s.failures.InsertMany(ctx, docs); err != nil {
		return nil, fmt.Errorf("record login attempt: %w", err)
	}
	return ids, nil
}

// LoginAttemptsSince returns a key's notes since a moment, oldest first.
func (s *Store) LoginAttemptsSince(ctx context.Context, key string, since time.Time) ([]LoginAttempt, error) {
	return findAll[LoginAttempt](ctx, s.failures, bson.M{"key": key, "at": bson.M{"$gte": since}},
		options.Find().SetSort(bson.D{{Key: "at", Value: 1}}).SetLimit(1000))
}

// ForgetLoginAttempts deletes notes by id, one at a time: a lookup by _id
// is the one every engine answers without scanning.
func (s *Store) ForgetLoginAttempts(ctx context.Context, ids []bson.ObjectID) error {
	for _, id := range ids {
		if _, err := s.failures.DeleteOne(ctx, bson.M{"_id": id}); err != nil {
			return fmt.Errorf("forget login attempt: %w", err)
		}
	}
	return nil
}

// ClearLoginFailures forgets a key's failures (after a successful login).
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	_, err := s.failures.DeleteMany(ctx, bson.M{"key": key})
	return err
}

// InsertInvitation stores an invitation; errDuplicate when the address has
// an open one in the organization already.
func (s *Store) InsertInvitation(ctx context.Context, inv Invitation) error {
	return insert(ctx, s.invitations, inv)
}

// Invitation returns the invitation with id.
func (s *Store) Invitation(ctx context.Context, id bson.ObjectID) (Invitation, error) {
	return findOne[Invitation](ctx, s.invitations, bson.D{{Key: "_id", Value: id}})
}

// InvitationsOfOrganization returns a page of the organization's
// invitations that expire after now, newest first.
func (s *Store) InvitationsOfOrganization(ctx context.Context, orgID bson.ObjectID, now time.Time, r page.Request) (page.Page[Invitation], error) {
	return findPage(ctx, s.invitations, bson.D{
		{Key: "organizationId", Value: orgID}, {Key: "expiresAt", Value: bson.D{{Key: "$gt", Value: now}}},
	}, descending, r, invitationKey)
}

// InvitationsTo returns a page of the invitations to email that expire
// after now, newest first.
func (s *Store) InvitationsTo(ctx context.Context, email string, now time.Time, r page.Request) (page.Page[Invitation], error) {
	return findPage(ctx, s.invitations, bson.D{
		{Key: "email", Value: email}, {Key: "expiresAt", Value: bson.D{{Key: "$gt", Value: now}}},
	}, descending, r, invitationKey)
}

func invitationKey(inv Invitation) []string { return createdKey(inv.CreatedAt, inv.ID) }

// CountInvitations counts the organization's invitations that expire after now.
func (s *Store) CountInvitations(ctx context.Context, orgID bson.ObjectID, now time.Time) (int64, error) {
	n, err := s.invitations.CountDocuments(ctx, bson.D{
		{Key: "organizationId", Value: orgID}, {Key: "expiresAt", Value: bson.D{{Key: "$gt", Value: now}}},
	})
	if err != nil {
		return 0, fmt.Errorf("count invitations: %w", err)
	}
	return n, nil
}

// DeleteInvitation removes the organization's invitation with id.
func (s *Store) DeleteInvitation(ctx context.Context, orgID, id bson.ObjectID) error {
	if _, err := s.invitations.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "organizationId", Value: orgID}}); err != nil {
		return fmt.Errorf("delete invitation: %w", err)
	}
	return nil
}

// DeleteInvitationTo removes the organization's invitation to email, if any.
func (s *Store) DeleteInvitationTo(ctx context.Context, orgID bson.ObjectID, email string) error {
	if _, err := s.invitations.DeleteOne(ctx, bson.D{{Key: "organizationId", Value: orgID}, {Key: "email", Value: email}}); err != nil {
		return fmt.Errorf("delete invitation: %w", err)
	}
	return nil
}
