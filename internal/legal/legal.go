// Package legal publishes Omnify's legal documents (terms of service, privacy
// policy, data processing agreement) and records who accepted which version,
// when and from where, so that Omnify processes a store's data only after its
// people accepted the current terms and can prove it later.
//
// The terms and the privacy policy are accepted by each person, once per
// version, whichever organization they act in: a personal acceptance. The
// data processing agreement (DPA) is signed by the organization: an OWNER
// accepts it on the organization's behalf, once per organization and
// version, and every OWNER of the organization is then done with it: an
// organization acceptance. Other members never sign it and are never
// blocked by it; they see it pending on their organization.
//
// Before organization acceptances existed, OWNERs and ADMINs accepted the
// DPA personally. Such a personal record of a DPA version made by an OWNER
// in an organization counts as that organization's acceptance of that
// version (see legacySignatureFilter), so that nobody who had signed is asked again;
// one made by an ADMIN does not count. No new personal DPA record is made.
//
// Published versions and acceptance records are immutable: the package has no
// method that updates or deletes either. Every state change is a single
// document insert, guarded by a unique index, so that concurrent replicas
// cannot publish a version twice or record an acceptance twice.
package legal

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/authz"
)

// Kind is the kind of a legal document.
type Kind string

// The kinds of legal documents, in the order they are shown.
const (
	TermsOfService          Kind = "TERMS_OF_SERVICE"
	PrivacyPolicy           Kind = "PRIVACY_POLICY"
	DataProcessingAgreement Kind = "DATA_PROCESSING_AGREEMENT"
)

// Kinds returns every kind, in the order they are shown: terms, privacy, DPA.
func Kinds() []Kind {
	return []Kind{TermsOfService, PrivacyPolicy, DataProcessingAgreement}
}

// Valid reports whether k is one of the known kinds.
func (k Kind) Valid() bool {
	return k.rank() >= 0
}

// rank is k's position in Kinds, or -1 for an unknown kind.
func (k Kind) rank() int {
	switch k {
	case TermsOfService:
		return 0
	case PrivacyPolicy:
		return 1
	case DataProcessingAgreement:
		return 2
	}
	return -1
}

// Scope returns who accepts documents of kind k: the organization, through
// an OWNER, for the DPA; each person for the others.
func (k Kind) Scope() Scope {
	if k == DataProcessingAgreement {
		return ScopeOrganization
	}
	return ScopePersonal
}

// Scope says on whose behalf an acceptance was made.
type Scope string

// The scopes of acceptances.
const (
	// ScopePersonal is a person's own acceptance (terms, privacy policy).
	ScopePersonal Scope = "PERSONAL"
	// ScopeOrganization is an OWNER's acceptance on behalf of the
	// organization (the DPA).
	ScopeOrganization Scope = "ORGANIZATION"
)

// Signer is the role that accepts documents of organization scope on the
// organization's behalf.
const Signer = authz.RoleOwner

// Document is one published, immutable version of a legal document.
type Document struct {
	// ID identifies this version.
	ID bson.ObjectID `bson:"_id"`
	// Kind says which document this is a version of.
	Kind Kind `bson:"kind"`
	// Version counts the versions of Kind from 1.
	Version int `bson:"version"`
	// Title is the document's title.
	Title string `bson:"title"`
	// Body is the Markdown text. It is empty in results that say they omit it.
	Body string `bson:"body"`
	// BodySHA256 is the lowercase hex SHA-256 of Body, recorded with each acceptance.
	BodySHA256 string `bson:"bodySha256"`
	// PublishedAt is when the version was published, in UTC.
	PublishedAt time.Time `bson:"publishedAt"`
}

// RequiredFor reports whether a member with the given role must accept this
// document: the terms and the privacy policy are required for every role, the
// data processing agreement only for an OWNER, who signs it for the
// organization (once per organization, not per person).
func (d Document) RequiredFor(role authz.Role) bool {
	if d.Kind.Scope() == ScopeOrganization {
		return role.AtLeast(Signer)
	}
	return true
}

// Origin is where an acceptance came from, recorded as evidence.
type Origin struct {
	// IP is the client's IP address.
	IP string
	// UserAgent is the client's User-Agent header.
	UserAgent string
}

// Acceptance records that a user accepted one version of a document, for
// themself (ScopePersonal) or as an OWNER on behalf of the organization
// (ScopeOrganization). Records are never updated or deleted.
type Acceptance struct {
	// ID identifies the record among the records of its scope; it also
	// orders records by creation.
	ID bson.ObjectID `bson:"_id"`
	// Scope says whether the user accepted for themself or signed for the
	// organization. The store sets it from where the record is kept.
	Scope Scope `bson:"-"`
	// UserID is the user who accepted.
	UserID bson.ObjectID `bson:"userId"`
	// OrganizationID is the organization the user acted for; for an
	// organization acceptance, the organization that signed.
	OrganizationID bson.ObjectID `bson:"organizationId"`
	// Role is the user's role in the organization at the time.
	Role authz.Role `bson:"role"`
	// DocumentID is the accepted version.
	DocumentID bson.ObjectID `bson:"documentId"`
	// Kind is the accepted document's kind.
	Kind Kind `bson:"kind"`
	// Version is the accepted document's version.
	Version int `bson:"version"`
	// BodySHA256 is the SHA-256 (hex) of the accepted text.
	BodySHA256 string `bson:"bodySha256"`
	// AcceptedAt is when the user accepted, in UTC.
	AcceptedAt time.Time `bson:"acceptedAt"`
	// IP is the client's IP address.
	IP string `bson:"ip"`
	// UserAgent is the client's User-Agent, truncated to MaxUserAgentBytes.
	UserAgent string `bson:"userAgent"`
}

// Organizations tells the legal module which organizations a caller may
// see; the auth module implements it.
type Organizations interface {
	// CanSee returns nil when p may see the organization orgID (its active
	// organization, or for a signed-in user any organization the user
	// belongs to), and NOT_FOUND otherwise.
	CanSee(ctx context.Context, p *authz.Principal, orgID bson.ObjectID) error
}

// Service publishes legal documents and records acceptances.
type Service struct {
	store *Store
	now   func() time.Time
	orgs  Organizations
	// current keeps the current versions for CurrentTTL; satisfied, who
	// had nothing pending under them (see gatecache.go).
	current   *currentCache
	satisfied *satisfiedCache
}

// Options configure a Service.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Organizations decides whether a caller may see an organization other
	// than its active one; nil limits OrganizationPending to the active
	// organization.
	Organizations Organizations
	// GateCacheEntries caps the users (in an organization and role) whose
	// "nothing pending" answer the process keeps, so that the legal gate of
	// a user who is done costs no database read; 0 keeps none.
	GateCacheEntries int
}

// New returns a Service over store.
func New(store *Store, opts Options) *Service {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Service{
		store: store, now: now, orgs: opts.Organizations,
		current:   newCurrentCache(CurrentTTL, store.allMetadata),
		satisfied: newSatisfiedCache(opts.GateCacheEntries),
	}
}

// clock returns the current time in UTC at the precision BSON stores.
func (s *Service) clock() time.Time {
	return s.now().UTC().Truncate(time.Millisecond)
}
