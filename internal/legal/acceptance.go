package legal

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/omnify/bff/internal/apperr"
)

// Limits on acceptance input.
const (
	// MaxUserAgentBytes is the longest user agent recorded; longer ones are truncated.
	MaxUserAgentBytes = 512
	// MaxIPBytes is the longest IP address recorded; longer ones are truncated.
	MaxIPBytes = 64
	// maxAcceptIDs bounds the ids of one Accept call; more are always an error.
	maxAcceptIDs = 20
	// DefaultPageSize is the page size of AcceptancesByOrganization when first is 0.
	DefaultPageSize = 20
	// MaxPageSize is the largest page size of AcceptancesByOrganization.
	MaxPageSize = 100
)

// documentIDsField is the input field that Accept's validation errors name.
const documentIDsField = "documentIds"

// Accept records that the actor accepted the documents with the given ids
// and returns one record per id, in the order of ids. Accepting a version
// the user accepted before records nothing and returns the first record
// (which may name another organization). Nothing is written unless every id
// is valid.
//
// Returns BAD_USER_INPUT on field documentIds, naming the offending ids, when
// the list is empty or too long, or an id is malformed, given twice, unknown,
// or not the current version of its kind.
func (s *Service) Accept(ctx context.Context, a Actor, ids []string) ([]Acceptance, error) {
	if a.UserID.IsZero() || a.OrganizationID.IsZero() {
		// A partner API key acts for an organization, not a person: it cannot accept.
		return nil, apperr.New(apperr.Forbidden, "Accepting legal documents needs a signed-in user; API keys cannot do it.")
	}
	docIDs, verr := parseDocumentIDs(ids)
	if verr != nil {
		return nil, verr
	}
	meta, err := s.store.allMetadata(ctx)
	if err != nil {
		return nil, err
	}
	docs, verr := acceptable(meta, ids, docIDs)
	if verr != nil {
		return nil, verr
	}

	now := s.clock()
	out := make([]Acceptance, len(docs))
	var again []bson.ObjectID
	for i, d := range docs {
		rec := Acceptance{
			ID:             bson.NewObjectID(),
			UserID:         a.UserID,
			OrganizationID: a.OrganizationID,
			Role:           a.Role,
			DocumentID:     d.ID,
			Kind:           d.Kind,
			Version:        d.Version,
			BodySHA256:     d.BodySHA256,
			AcceptedAt:     now,
			IP:             truncate(a.IP, MaxIPBytes),
			UserAgent:      truncate(a.UserAgent, MaxUserAgentBytes),
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
	first, err := s.store.acceptedBy(ctx, a.UserID, again)
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

// parseDocumentIDs checks the shape of Accept's ids: not empty, not too
// many, well-formed and distinct.
func parseDocumentIDs(ids []string) ([]bson.ObjectID, *apperr.Error) {
	switch {
	case len(ids) == 0:
		return nil, apperr.Invalid(documentIDsField, "choose at least one document to accept")
	case len(ids) > maxAcceptIDs:
		return nil, apperr.Invalid(documentIDsField, "at most %d documents can be accepted at once, got %d", maxAcceptIDs, len(ids))
	}
	out := make([]bson.ObjectID, len(ids))
	var malformed []string
	for i, s := range ids {
		id, err := bson.ObjectIDFromHex(s)
		if err != nil {
			malformed = append(malformed, quote(s))
			continue
		}
		out[i] = id
	}
	if len(malformed) > 0 {
		return nil, apperr.Invalid(documentIDsField, "malformed document %s: %s", plural(len(malformed), "id", "ids"), strings.Join(malformed, ", "))
	}
	var repeated []string
	for i, id := range out {
		for j := range i {
			if out[j] == id {
				repeated = append(repeated, quote(ids[i]))
				break
			}
		}
	}
	if len(repeated) > 0 {
		return nil, apperr.Invalid(documentIDsField, "document %s given more than once: %s", plural(len(repeated), "id", "ids"), strings.Join(repeated, ", "))
	}
	return out, nil
}

// acceptable returns the documents of ids, checking that each exists and is
// the current version of its kind.
func acceptable(meta []Document, ids []string, docIDs []bson.ObjectID) ([]Document, *apperr.Error) {
	byID := make(map[bson.ObjectID]Document, len(meta))
	for _, d := range meta {
		byID[d.ID] = d
	}
	docs := make([]Document, len(docIDs))
	var unknown []string
	for i, id := range docIDs {
		d, ok := byID[id]
		if !ok {
			unknown = append(unknown, quote(ids[i]))
		}
		docs[i] = d
	}
	if len(unknown) > 0 {
		return nil, apperr.Invalid(documentIDsField, "unknown document %s: %s", plural(len(unknown), "id", "ids"), strings.Join(unknown, ", "))
	}
	current := currentVersions(meta)
	var stale []string
	for i, d := range docs {
		for _, c := range current {
			if c.Kind == d.Kind && c.Version != d.Version {
				stale = append(stale, fmt.Sprintf("document %s is version %d of %s; the current version is %d", quote(ids[i]), d.Version, d.Kind, c.Version))
			}
		}
	}
	if len(stale) > 0 {
		return nil, apperr.Invalid(documentIDsField, "%s", strings.Join(stale, "; "))
	}
	return docs, nil
}

// Pending returns the current versions required for role that the user has
// not accepted, ordered terms, privacy policy, DPA, without their bodies
// (Body is empty; load it with DocumentsByIDs). An unknown role is treated
// like MEMBER. Acceptances count whichever organization they were made in.
// It runs on every gated request and costs at most two queries, both
// without bodies.
func (s *Service) Pending(ctx context.Context, userID bson.ObjectID, role string) ([]Document, error) {
	meta, err := s.store.allMetadata(ctx)
	if err != nil {
		return nil, err
	}
	var required []Document
	var ids []bson.ObjectID
	for _, d := range currentVersions(meta) {
		if d.RequiredFor(role) {
			required = append(required, d)
			ids = append(ids, d.ID)
		}
	}
	if len(required) == 0 {
		return nil, nil
	}
	accepted, err := s.store.acceptedBy(ctx, userID, ids,
		options.Find().SetProjection(bson.D{{Key: "documentId", Value: 1}}))
	if err != nil {
		return nil, err
	}
	var pending []Document
	for _, d := range required {
		done := false
		for _, a := range accepted {
			if a.DocumentID == d.ID {
				done = true
				break
			}
		}
		if !done {
			pending = append(pending, d)
		}
	}
	return pending, nil
}

// AcceptancesByUser returns the user's acceptance records in every
// organization, newest first. There is at most one per published version,
// so the list is short.
func (s *Service) AcceptancesByUser(ctx context.Context, userID bson.ObjectID) ([]Acceptance, error) {
	return s.store.acceptancesByUser(ctx, userID)
}

// AcceptancesByOrganization returns a page of the organization's acceptance
// records, newest first, for an audit list. first is the page size, 1 to
// MaxPageSize, or 0 for DefaultPageSize; after is the EndCursor of the
// previous page, or empty for the first page.
//
// Returns BAD_USER_INPUT on field first when first is out of range, and on
// field after when the cursor is malformed.
func (s *Service) AcceptancesByOrganization(ctx context.Context, orgID bson.ObjectID, first int, after string) (AcceptancePage, error) {
	if first == 0 {
		first = DefaultPageSize
	}
	if first < 1 || first > MaxPageSize {
		return AcceptancePage{}, apperr.Invalid("first", "first must be between 1 and %d, got %d", MaxPageSize, first)
	}
	var afterID bson.ObjectID
	if after != "" {
		id, err := decodeCursor(after)
		if err != nil {
			return AcceptancePage{}, apperr.Invalid("after", "the cursor %s is malformed", quote(after))
		}
		afterID = id
	}
	recs, err := s.store.acceptancesByOrganization(ctx, orgID, afterID, first+1)
	if err != nil {
		return AcceptancePage{}, err
	}
	page := AcceptancePage{Acceptances: recs}
	if len(recs) > first {
		page.Acceptances, page.HasNextPage = recs[:first], true
	}
	if n := len(page.Acceptances); n > 0 {
		page.EndCursor = encodeCursor(page.Acceptances[n-1].ID)
	}
	return page, nil
}

// encodeCursor returns the opaque cursor of a record id.
func encodeCursor(id bson.ObjectID) string {
	return base64.RawURLEncoding.EncodeToString([]byte(id.Hex()))
}

// decodeCursor returns the record id of a cursor made by encodeCursor.
func decodeCursor(cursor string) (bson.ObjectID, error) {
	hex, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return bson.ObjectID{}, err
	}
	id, err := bson.ObjectIDFromHex(string(hex))
	if err != nil {
		return bson.ObjectID{}, err
	}
	if id.IsZero() {
		return bson.ObjectID{}, errors.New("zero id")
	}
	return id, nil
}

// truncate returns s as valid UTF-8 of at most n bytes, cut at a rune boundary.
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// quote quotes user input for a message, shortening it.
func quote(s string) string {
	return fmt.Sprintf("%q", truncate(s, 40))
}

// plural returns one or many depending on n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// CheckAcceptable validates ids as Accept would, without writing anything,
// so that a sign-up can refuse bad ids before it creates the account.
// Returns BAD_USER_INPUT on field documentIds, as Accept does.
func (s *Service) CheckAcceptable(ctx context.Context, ids []string) error {
	docIDs, verr := parseDocumentIDs(ids)
	if verr != nil {
		return verr
	}
	meta, err := s.store.allMetadata(ctx)
	if err != nil {
		return err
	}
	if _, verr := acceptable(meta, ids, docIDs); verr != nil {
		return verr
	}
	return nil
}

// Cursor returns the opaque cursor of an acceptance in an audit page, for
// edges of a connection.
func Cursor(a Acceptance) string { return encodeCursor(a.ID) }
