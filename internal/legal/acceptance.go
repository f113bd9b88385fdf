package legal

import (
	"context"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/page"
	"github.com/omnify/bff/internal/text"
)

// Limits on acceptance input.
const (
	// MaxUserAgentBytes is the longest user agent recorded; longer ones are truncated.
	MaxUserAgentBytes = 512
	// MaxIPBytes is the longest IP address recorded; longer ones are truncated.
	MaxIPBytes = 64
	// MaxAcceptIDs bounds the ids of one Accept call; more are always an error.
	MaxAcceptIDs = 20
)

// DocumentIDsField is the input field that Accept's validation errors name.
const DocumentIDsField = "documentIds"

// Accept records that the signed-in caller accepted the documents with the
// given ids, from origin, and returns one record per id, in the order of
// ids. The terms and the privacy policy are accepted personally: accepting
// a version the user accepted before records nothing and returns the first
// record (which may name another organization). The DPA is signed for the
// caller's active organization (see Kind.Scope), by an OWNER only:
// accepting a version the organization signed before records nothing and
// returns its record, whoever signed it. Nothing is written unless every id
// is valid and the caller may accept every one.
//
// Any signed-in member may accept personal documents; an API key gets
// FORBIDDEN, and so does a member other than an OWNER given a DPA. Returns
// BAD_USER_INPUT on field documentIds when the list is empty or too long,
// or an id is given twice, unknown, or not the current version of its kind.
func (s *Service) Accept(ctx context.Context, p *authz.Principal, origin Origin, ids []bson.ObjectID) ([]Acceptance, error) {
	if err := authz.RequireUser(p, authz.RoleViewer); err != nil {
		return nil, err
	}
	docs, err := s.acceptable(ctx, DocumentIDsField, ids)
	if err != nil {
		return nil, err
	}
	for _, d := range docs {
		if d.Kind.Scope() == ScopeOrganization && !p.Role.AtLeast(Signer) {
			return nil, apperr.New(apperr.Forbidden,
				"An OWNER signs the %s on behalf of the organization; ask an owner to accept it. Nothing was accepted.", d.Title)
		}
	}
	now := s.clock()
	out := make([]Acceptance, len(docs))
	var again []bson.ObjectID
	// Personal records first, the organization's signatures last, so that a
	// failure leaves no signature behind for a sign-up that is undone.
	order := make([]int, 0, len(docs))
	for _, scope := range []Scope{ScopePersonal, ScopeOrganization} {
		for i, d := range docs {
			if d.Kind.Scope() == scope {
				order = append(order, i)
			}
		}
	}
	for _, i := range order {
		d := docs[i]
		rec := Acceptance{
			ID:             bson.NewObjectID(),
			Scope:          d.Kind.Scope(),
			UserID:         p.UserID,
			OrganizationID: p.OrganizationID,
			Role:           p.Role,
			DocumentID:     d.ID,
			Kind:           d.Kind,
			Version:        d.Version,
			BodySHA256:     d.BodySHA256,
			AcceptedAt:     now,
			IP:             text.Truncate(origin.IP, MaxIPBytes),
			UserAgent:      text.Truncate(origin.UserAgent, MaxUserAgentBytes),
		}
		if rec.Scope == ScopeOrganization {
			if out[i], err = s.sign(ctx, rec); err != nil {
				return nil, err
			}
			continue
		}
		err := s.store.insertAcceptance(ctx, rec)
		switch {
		case err == nil:
			out[i] = rec
		case mongo.IsDuplicateKeyError(err):
			again = append(again, d.ID)
		default:
			return nil, fmt.Errorf("legal: record acceptance of %s version %d: %w", d.Kind, d.Version, err)
		}
	}
	if len(again) == 0 {
		return out, nil
	}
	first, err := s.store.acceptedBy(ctx, p.UserID, again)
	if err != nil {
		return nil, err
	}
	for i, d := range docs {
		if !out[i].ID.IsZero() {
			continue
		}
		for _, rec := range first {
			if rec.DocumentID == d.ID {
				out[i] = rec
			}
		}
		if out[i].ID.IsZero() {
			return nil, fmt.Errorf("legal: acceptance of %s version %d is reported to exist but cannot be found", d.Kind, d.Version)
		}
	}
	return out, nil
}

// CheckAcceptable validates ids as Accept would, without writing anything,
// so that a sign-up can refuse bad ids before it creates the account. Errors
// are BAD_USER_INPUT on field, which names the caller's input field.
func (s *Service) CheckAcceptable(ctx context.Context, field string, ids []bson.ObjectID) error {
	_, err := s.acceptable(ctx, field, ids)
	return err
}

// acceptable returns the documents of ids, checking that there are 1 to
// MaxAcceptIDs distinct ids and that each is the current version of a
// published document. Errors name field and each id by its position, so
// that they do not echo input back.
func (s *Service) acceptable(ctx context.Context, field string, ids []bson.ObjectID) ([]Document, error) {
	switch {
	case len(ids) == 0:
		return nil, apperr.Invalid(field, "Choose at least one document to accept.")
	case len(ids) > MaxAcceptIDs:
		return nil, apperr.Invalid(field, "At most %d documents can be accepted at once, got %d.", MaxAcceptIDs, len(ids))
	}
	var repeated []string
	for i, id := range ids {
		for j := range i {
			if ids[j] == id {
				repeated = append(repeated, fmt.Sprintf("%s[%d]", field, i))
				break
			}
		}
	}
	if len(repeated) > 0 {
		return nil, apperr.Invalid(field, "The same document is given more than once: %s.", strings.Join(repeated, ", "))
	}
	meta, err := s.store.allMetadata(ctx)
	if err != nil {
		return nil, err
	}
	byID := make(map[bson.ObjectID]Document, len(meta))
	for _, d := range meta {
		byID[d.ID] = d
	}
	current := currentVersions(meta)
	docs := make([]Document, len(ids))
	var problems []string
	for i, id := range ids {
		d, ok := byID[id]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s[%d] is not a published document", field, i))
			continue
		}
		docs[i] = d
		for _, c := range current {
			if c.Kind == d.Kind && c.Version != d.Version {
				problems = append(problems, fmt.Sprintf("%s[%d] is version %d of %s; the current version is %d", field, i, d.Version, d.Kind, c.Version))
			}
		}
	}
	if len(problems) > 0 {
		return nil, apperr.Invalid(field, "%s.", strings.Join(problems, "; "))
	}
	return docs, nil
}

// Pending returns the current versions the signed-in caller must still
// accept in its active organization, ordered terms, privacy policy, DPA,
// without their bodies (Body is empty; load it with DocumentsByIDs): the
// terms and the privacy policy the user has not accepted (in any
// organization), and for an OWNER the DPA when the organization has not
// signed it (a personal record by an OWNER of the organization, from before
// organization acceptances, counts as its signature). Members other than
// OWNERs are never asked for the DPA; see OrganizationPending. An API key
// has nothing pending. An unknown role is treated like MEMBER.
//
// It runs on every gated request. The current versions come from a list
// each process reads at most every CurrentTTL, and a caller found with
// nothing pending under them is remembered until they change (see
// satisfiedCache), so a gated request of a user who is done costs no query.
// Otherwise it costs at most two, without bodies: the user's acceptances
// (and OWNERs' old personal DPA records) and, for an OWNER, the
// organization's signature.
func (s *Service) Pending(ctx context.Context, p *authz.Principal) ([]Document, error) {
	if p == nil || p.IsAPIKey() {
		return nil, nil
	}
	current, fp, err := s.current.get(ctx)
	if err != nil {
		return nil, err
	}
	key := gateKey{user: p.UserID, org: p.OrganizationID, role: p.Role}
	if s.satisfied.satisfied(key, fp) {
		return nil, nil
	}
	var required []Document
	var personal []bson.ObjectID
	var signature bson.ObjectID // the DPA the organization must have signed
	for _, d := range current {
		if !d.RequiredFor(p.Role) {
			continue
		}
		required = append(required, d)
		if d.Kind.Scope() == ScopeOrganization {
			signature = d.ID
		} else {
			personal = append(personal, d.ID)
		}
	}
	if len(required) == 0 {
		s.satisfied.remember(key, fp)
		return nil, nil
	}
	accepted, signed, err := s.store.acceptedForGate(ctx, p.UserID, personal, p.OrganizationID, signature)
	if err != nil {
		return nil, err
	}
	if !signature.IsZero() && !signed {
		if signed, err = s.store.signed(ctx, p.OrganizationID, signature); err != nil {
			return nil, err
		}
	}
	var pending []Document
	for _, d := range required {
		done := accepted[d.ID]
		if d.ID == signature {
			done = signed
		}
		if !done {
			pending = append(pending, d)
		}
	}
	if len(pending) == 0 {
		s.satisfied.remember(key, fp)
	}
	return pending, nil
}

// acceptanceKeyParts is how many strings an acceptance cursor carries: the
// record's id, which also orders records by creation.
const acceptanceKeyParts = 1

// AcceptancePageRequest validates the paging arguments of a list of
// acceptance records (first 1 to 100, default 20; after a cursor of such a
// list). Errors are BAD_USER_INPUT on field first or after.
func AcceptancePageRequest(first *int, after *string) (page.Request, error) {
	return page.Default(first, after, acceptanceKeyParts)
}

// acceptanceKey is an acceptance's sort key.
func acceptanceKey(a Acceptance) []string { return []string{a.ID.Hex()} }

// afterAcceptance returns the record id in r's cursor, or the zero id on the
// first page. Records are listed newest first.
func afterAcceptance(r page.Request) (bson.ObjectID, error) {
	if r.After == nil {
		return bson.ObjectID{}, nil
	}
	id, err := bson.ObjectIDFromHex(r.After[0])
	if err != nil || id.IsZero() {
		return bson.ObjectID{}, apperr.Invalid("after", "The cursor is not valid; start again from the first page.")
	}
	return id, nil
}

// MyAcceptances returns a page of the signed-in caller's own acceptance
// records in every organization, newest first: personal acceptances and the
// organization acceptances the caller signed. An API key has none.
func (s *Service) MyAcceptances(ctx context.Context, p *authz.Principal, r page.Request) (page.Page[Acceptance], error) {
	if err := authz.Require(p, authz.RoleViewer); err != nil {
		return page.Page[Acceptance]{}, err
	}
	if p.IsAPIKey() {
		return page.Make(r, []Acceptance{}, 0, acceptanceKey), nil
	}
	after, err := afterAcceptance(r)
	if err != nil {
		return page.Page[Acceptance]{}, err
	}
	recs, total, err := s.store.listAcceptances(ctx, acceptanceFilter{userID: p.UserID}, after, r.First+1)
	if err != nil {
		return page.Page[Acceptance]{}, err
	}
	return page.Make(r, recs, total, acceptanceKey), nil
}

// OrganizationAcceptances returns a page of the active organization's
// acceptance records, newest first, for the audit list: who accepted what,
// when and from where. It lists the organization's own acceptances (the DPA
// versions it signed) beside the personal acceptances made in it. OWNERs
// only; API keys get FORBIDDEN.
func (s *Service) OrganizationAcceptances(ctx context.Context, p *authz.Principal, r page.Request) (page.Page[Acceptance], error) {
	if err := authz.RequireUser(p, authz.RoleOwner); err != nil {
		return page.Page[Acceptance]{}, err
	}
	after, err := afterAcceptance(r)
	if err != nil {
		return page.Page[Acceptance]{}, err
	}
	recs, total, err := s.store.listAcceptances(ctx, acceptanceFilter{organizationID: p.OrganizationID}, after, r.First+1)
	if err != nil {
		return page.Page[Acceptance]{}, err
	}
	return page.Make(r, recs, total, acceptanceKey), nil
}

// Acceptance returns one acceptance record of the scope, as the lists show
// it: the caller's own record (one the caller accepted or signed), or for
// an OWNER signed in to the record's organization, any record of it.
// Anything else is NOT_FOUND.
func (s *Service) Acceptance(ctx context.Context, p *authz.Principal, scope Scope, id bson.ObjectID) (Acceptance, error) {
	notFound := apperr.New(apperr.NotFound, "There is no such acceptance record.")
	if p == nil || p.IsAPIKey() {
		return Acceptance{}, notFound
	}
	rec, err := s.store.acceptanceByID(ctx, scope, id)
	if err != nil {
		return Acceptance{}, err
	}
	if rec == nil {
		return Acceptance{}, notFound
	}
	own := rec.UserID == p.UserID
	audit := rec.OrganizationID == p.OrganizationID && p.Role.AtLeast(Signer)
	if !own && !audit {
		return Acceptance{}, notFound
	}
	return *rec, nil
}
