package legal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/omnify/bff/internal/mongodb"
)

// Collection names.
const (
	documentsCollection = "legal_documents"
	// acceptancesCollection holds personal acceptances, and the personal
	// DPA acceptances of the time before organization acceptances.
	acceptancesCollection = "legal_acceptances"
	// signaturesCollection holds organization acceptances: one per
	// organization and DPA version.
	signaturesCollection = "legal_organization_acceptances"
)

// Store holds the legal collections of Omnify's database.
type Store struct {
	documents   *mongo.Collection
	acceptances *mongo.Collection
	signatures  *mongo.Collection
}

// NewStore returns a Store over db's collections legal_documents,
// legal_acceptances and legal_organization_acceptances.
func NewStore(db *mongodb.DB) *Store {
	return &Store{
		documents:   db.Database.Collection(documentsCollection),
		acceptances: db.Database.Collection(acceptancesCollection),
		signatures:  db.Database.Collection(signaturesCollection),
	}
}

// EnsureIndexes creates the indexes the package relies on, among them the
// unique indexes that make publishing and accepting safe under concurrency.
// It is idempotent.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	// One index per command: FerretDB v1 drops the connection when a
	// createIndexes command with several indexes finds them all present.
	for _, ix := range []struct {
		coll  *mongo.Collection
		model mongo.IndexModel
	}{{
		s.documents, mongo.IndexModel{
			Keys:    bson.D{{Key: "kind", Value: 1}, {Key: "version", Value: 1}},
			Options: options.Index().SetName("kind_version_unique").SetUnique(true),
		},
	}, {
		s.acceptances, mongo.IndexModel{
			Keys:    bson.D{{Key: "userId", Value: 1}, {Key: "documentId", Value: 1}},
			Options: options.Index().SetName("user_document_unique").SetUnique(true),
		},
	}, {
		s.acceptances, mongo.IndexModel{
			Keys:    bson.D{{Key: "organizationId", Value: 1}, {Key: "_id", Value: -1}},
			Options: options.Index().SetName("organization_newest"),
		},
	}, {
		// One organization acceptance per organization and version,
		// however many OWNERs or replicas accept at once.
		s.signatures, mongo.IndexModel{
			Keys:    bson.D{{Key: "organizationId", Value: 1}, {Key: "documentId", Value: 1}},
			Options: options.Index().SetName("organization_document_unique").SetUnique(true),
		},
	}, {
		s.signatures, mongo.IndexModel{
			Keys:    bson.D{{Key: "userId", Value: 1}, {Key: "_id", Value: -1}},
			Options: options.Index().SetName("user_newest"),
		},
	}} {
		if _, err := ix.coll.Indexes().CreateOne(ctx, ix.model); err != nil {
			return fmt.Errorf("legal: create index on %s: %w", ix.coll.Name(), err)
		}
	}
	return nil
}

// metadataProjection leaves out the body of documents.
func metadataProjection() bson.D {
	return bson.D{{Key: "body", Value: 0}}
}

// allMetadata returns every published version without its body.
func (s *Store) allMetadata(ctx context.Context) ([]Document, error) {
	cur, err := s.documents.Find(ctx, bson.D{}, options.Find().SetProjection(metadataProjection()))
	if err != nil {
		return nil, fmt.Errorf("legal: find documents: %w", err)
	}
	return decodeDocuments(ctx, cur)
}

// documentsByIDs returns the documents with the given ids in any order.
func (s *Store) documentsByIDs(ctx context.Context, ids []bson.ObjectID) ([]Document, error) {
	cur, err := s.documents.Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
	if err != nil {
		return nil, fmt.Errorf("legal: find documents by id: %w", err)
	}
	return decodeDocuments(ctx, cur)
}

// findDocument returns the version of kind, or nil when there is none.
func (s *Store) findDocument(ctx context.Context, kind Kind, version int) (*Document, error) {
	var d Document
	err := s.documents.FindOne(ctx, bson.D{{Key: "kind", Value: kind}, {Key: "version", Value: version}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("legal: find %s version %d: %w", kind, version, err)
	}
	d.PublishedAt = d.PublishedAt.UTC()
	return &d, nil
}

// maxVersion returns the highest version of kind, or 0 when there is none.
func (s *Store) maxVersion(ctx context.Context, kind Kind) (int, error) {
	var d struct {
		Version int `bson:"version"`
	}
	err := s.documents.FindOne(ctx, bson.D{{Key: "kind", Value: kind}},
		options.FindOne().
			SetSort(bson.D{{Key: "version", Value: -1}}).
			SetProjection(bson.D{{Key: "version", Value: 1}})).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("legal: find latest %s: %w", kind, err)
	}
	return d.Version, nil
}

// insertDocument inserts d; a version that exists already yields an error
// for which mongo.IsDuplicateKeyError is true.
func (s *Store) insertDocument(ctx context.Context, d Document) error {
	_, err := s.documents.InsertOne(ctx, d)
	return err
}

// insertAcceptance inserts a; an acceptance of the same document by the same
// user yields an error for which mongo.IsDuplicateKeyError is true.
func (s *Store) insertAcceptance(ctx context.Context, a Acceptance) error {
	_, err := s.acceptances.InsertOne(ctx, a)
	return err
}

// insertSignature inserts the organization acceptance a; an acceptance of
// the same document by the same organization yields an error for which
// mongo.IsDuplicateKeyError is true.
func (s *Store) insertSignature(ctx context.Context, a Acceptance) error {
	_, err := s.signatures.InsertOne(ctx, a)
	return err
}

// signature returns the organization's acceptance of the document, or nil
// when there is none. A personal record of the document made by an OWNER
// in the organization, from before organization acceptances, counts as
// one: it is returned when the organization has no record of its own.
// It costs one query, or two when the organization has none of its own.
func (s *Store) signature(ctx context.Context, orgID, documentID bson.ObjectID) (*Acceptance, error) {
	var a Acceptance
	err := s.signatures.FindOne(ctx, bson.D{
		{Key: "organizationId", Value: orgID},
		{Key: "documentId", Value: documentID},
	}).Decode(&a)
	switch {
	case err == nil:
		return decoded(a, ScopeOrganization), nil
	case !errors.Is(err, mongo.ErrNoDocuments):
		return nil, fmt.Errorf("legal: find organization acceptance: %w", err)
	}
	err = s.acceptances.FindOne(ctx, legacySignatureFilter(orgID, documentID),
		options.FindOne().SetSort(bson.D{{Key: "_id", Value: 1}})).Decode(&a)
	switch {
	case err == nil:
		return decoded(a, ScopePersonal), nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return nil, nil
	}
	return nil, fmt.Errorf("legal: find personal acceptance by an owner: %w", err)
}

// legacySignatureFilter selects the personal records of a document made by
// an OWNER in the organization: before organization acceptances existed,
// that is how an organization accepted the DPA, and such records still
// count as the organization's acceptance of that version.
func legacySignatureFilter(orgID, documentID bson.ObjectID) bson.D {
	return bson.D{
		{Key: "organizationId", Value: orgID},
		{Key: "documentId", Value: documentID},
		{Key: "role", Value: Signer},
	}
}

// signed reports whether the organization has accepted the document, in one
// query that reads only ids: its own record only (personal records by an
// OWNER, which also count, are found by acceptedForGate).
func (s *Store) signed(ctx context.Context, orgID, documentID bson.ObjectID) (bool, error) {
	cur, err := s.signatures.Find(ctx, bson.D{
		{Key: "organizationId", Value: orgID},
		{Key: "documentId", Value: documentID},
	}, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}).SetLimit(1))
	if err != nil {
		return false, fmt.Errorf("legal: find organization acceptance: %w", err)
	}
	var ids []struct {
		ID bson.ObjectID `bson:"_id"`
	}
	if err := cur.All(ctx, &ids); err != nil {
		return false, fmt.Errorf("legal: read organization acceptance: %w", err)
	}
	return len(ids) > 0, nil
}

// acceptedForGate answers, in one query that reads only a few fields, which
// of the documents personal the user has accepted and, when signature is
// not zero, whether a personal record of that document made by an OWNER
// in the organization orgID (from before organization acceptances) counts
// as the organization's acceptance.
func (s *Store) acceptedForGate(ctx context.Context, userID bson.ObjectID, personal []bson.ObjectID, orgID, signature bson.ObjectID) (map[bson.ObjectID]bool, bool, error) {
	var or bson.A
	if len(personal) > 0 {
		or = append(or, bson.D{
			{Key: "userId", Value: userID},
			{Key: "documentId", Value: bson.D{{Key: "$in", Value: personal}}},
		})
	}
	if !signature.IsZero() {
		or = append(or, legacySignatureFilter(orgID, signature))
	}
	if len(or) == 0 {
		return map[bson.ObjectID]bool{}, false, nil
	}
	filter := bson.D{{Key: "$or", Value: or}}
	if len(or) == 1 {
		filter = or[0].(bson.D)
	}
	cur, err := s.acceptances.Find(ctx, filter, options.Find().SetProjection(bson.D{
		{Key: "userId", Value: 1}, {Key: "organizationId", Value: 1}, {Key: "documentId", Value: 1}, {Key: "role", Value: 1},
	}))
	if err != nil {
		return nil, false, fmt.Errorf("legal: find accepted documents: %w", err)
	}
	recs, err := decodeAcceptances(ctx, cur, ScopePersonal)
	if err != nil {
		return nil, false, err
	}
	accepted := make(map[bson.ObjectID]bool, len(recs))
	signed := false
	for _, r := range recs {
		if r.UserID == userID {
			accepted[r.DocumentID] = true
		}
		if !signature.IsZero() && r.DocumentID == signature && r.OrganizationID == orgID && r.Role == Signer {
			signed = true
		}
	}
	return accepted, signed, nil
}

// acceptedBy returns the user's acceptances of the given documents.
func (s *Store) acceptedBy(ctx context.Context, userID bson.ObjectID, documentIDs []bson.ObjectID) ([]Acceptance, error) {
	cur, err := s.acceptances.Find(ctx, bson.D{
		{Key: "userId", Value: userID},
		{Key: "documentId", Value: bson.D{{Key: "$in", Value: documentIDs}}},
	})
	if err != nil {
		return nil, fmt.Errorf("legal: find acceptances: %w", err)
	}
	return decodeAcceptances(ctx, cur, ScopePersonal)
}

// acceptanceFilter selects the records of one user or of one organization.
type acceptanceFilter struct {
	userID         bson.ObjectID // the records of this user, when set
	organizationID bson.ObjectID // the records made in this organization, when set
}

func (f acceptanceFilter) bson() bson.D {
	if !f.userID.IsZero() {
		return bson.D{{Key: "userId", Value: f.userID}}
	}
	return bson.D{{Key: "organizationId", Value: f.organizationID}}
}

// listAcceptances returns up to limit records selected by f, personal and
// organization acceptances together, newest first, older than after unless
// after is zero, and how many f selects in all. It costs four queries: a
// count and a find on each collection.
func (s *Store) listAcceptances(ctx context.Context, f acceptanceFilter, after bson.ObjectID, limit int) ([]Acceptance, int, error) {
	var all []Acceptance
	total := 0
	for _, c := range []struct {
		coll  *mongo.Collection
		scope Scope
	}{{s.acceptances, ScopePersonal}, {s.signatures, ScopeOrganization}} {
		n, err := c.coll.CountDocuments(ctx, f.bson())
		if err != nil {
			return nil, 0, fmt.Errorf("legal: count acceptances: %w", err)
		}
		total += int(n)
		if n == 0 {
			continue
		}
		filter := f.bson()
		if !after.IsZero() {
			filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$lt", Value: after}}})
		}
		cur, err := c.coll.Find(ctx, filter, options.Find().
			SetSort(bson.D{{Key: "_id", Value: -1}}).
			SetLimit(int64(limit)))
		if err != nil {
			return nil, 0, fmt.Errorf("legal: find acceptances: %w", err)
		}
		recs, err := decodeAcceptances(ctx, cur, c.scope)
		if err != nil {
			return nil, 0, err
		}
		all = append(all, recs...)
	}
	slices.SortFunc(all, func(a, b Acceptance) int { return bytes.Compare(b.ID[:], a.ID[:]) })
	if len(all) > limit {
		all = all[:limit]
	}
	return all, total, nil
}

// acceptanceByID returns one record of the scope, or nil when there is none.
func (s *Store) acceptanceByID(ctx context.Context, scope Scope, id bson.ObjectID) (*Acceptance, error) {
	coll := s.acceptances
	if scope == ScopeOrganization {
		coll = s.signatures
	}
	var a Acceptance
	err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&a)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("legal: find acceptance: %w", err)
	}
	return decoded(a, scope), nil
}

func decodeDocuments(ctx context.Context, cur *mongo.Cursor) ([]Document, error) {
	var ds []Document
	if err := cur.All(ctx, &ds); err != nil {
		return nil, fmt.Errorf("legal: read documents: %w", err)
	}
	for i := range ds {
		ds[i].PublishedAt = ds[i].PublishedAt.UTC()
	}
	return ds, nil
}

// decodeAcceptances reads the records of scope from cur.
func decodeAcceptances(ctx context.Context, cur *mongo.Cursor, scope Scope) ([]Acceptance, error) {
	var as []Acceptance
	if err := cur.All(ctx, &as); err != nil {
		return nil, fmt.Errorf("legal: read acceptances: %w", err)
	}
	for i := range as {
		as[i] = *decoded(as[i], scope)
	}
	return as, nil
}

// decoded completes a record read from the collection of scope.
func decoded(a Acceptance, scope Scope) *Acceptance {
	a.Scope = scope
	a.AcceptedAt = a.AcceptedAt.UTC()
	return &a
}
