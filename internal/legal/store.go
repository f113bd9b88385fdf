package legal

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/omnify/bff/internal/mongodb"
)

// Collection names.
const (
	documentsCollection   = "legal_documents"
	acceptancesCollection = "legal_acceptances"
)

// Store holds the legal collections of Omnify's database.
type Store struct {
	documents   *mongo.Collection
	acceptances *mongo.Collection
}

// NewStore returns a Store over db's collections legal_documents and
// legal_acceptances.
func NewStore(db *mongodb.DB) *Store {
	return &Store{
		documents:   db.Database.Collection(documentsCollection),
		acceptances: db.Database.Collection(acceptancesCollection),
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

// acceptedBy returns the user's acceptances of the given documents.
func (s *Store) acceptedBy(ctx context.Context, userID bson.ObjectID, documentIDs []bson.ObjectID) ([]Acceptance, error) {
	cur, err := s.acceptances.Find(ctx, bson.D{
		{Key: "userId", Value: userID},
		{Key: "documentId", Value: bson.D{{Key: "$in", Value: documentIDs}}},
	})
	if err != nil {
		return nil, fmt.Errorf("legal: find acceptances: %w", err)
	}
	return decodeAcceptances(ctx, cur)
}

// acceptedDocumentIDs returns which of the documents the user has accepted,
// reading only the document ids.
func (s *Store) acceptedDocumentIDs(ctx context.Context, userID bson.ObjectID, documentIDs []bson.ObjectID) (map[bson.ObjectID]bool, error) {
	cur, err := s.acceptances.Find(ctx, bson.D{
		{Key: "userId", Value: userID},
		{Key: "documentId", Value: bson.D{{Key: "$in", Value: documentIDs}}},
	}, options.Find().SetProjection(bson.D{{Key: "documentId", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("legal: find accepted documents: %w", err)
	}
	recs, err := decodeAcceptances(ctx, cur)
	if err != nil {
		return nil, err
	}
	out := make(map[bson.ObjectID]bool, len(recs))
	for _, r := range recs {
		out[r.DocumentID] = true
	}
	return out, nil
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

// listAcceptances returns up to limit records selected by f, newest first,
// older than after unless after is zero, and how many f selects in all.
func (s *Store) listAcceptances(ctx context.Context, f acceptanceFilter, after bson.ObjectID, limit int) ([]Acceptance, int, error) {
	total, err := s.acceptances.CountDocuments(ctx, f.bson())
	if err != nil {
		return nil, 0, fmt.Errorf("legal: count acceptances: %w", err)
	}
	filter := f.bson()
	if !after.IsZero() {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$lt", Value: after}}})
	}
	cur, err := s.acceptances.Find(ctx, filter, options.Find().
		SetSort(bson.D{{Key: "_id", Value: -1}}).
		SetLimit(int64(limit)))
	if err != nil {
		return nil, 0, fmt.Errorf("legal: find acceptances: %w", err)
	}
	recs, err := decodeAcceptances(ctx, cur)
	return recs, int(total), err
}

// acceptanceByID returns one record, or nil when there is none.
func (s *Store) acceptanceByID(ctx context.Context, id bson.ObjectID) (*Acceptance, error) {
	var a Acceptance
	err := s.acceptances.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&a)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("legal: find acceptance: %w", err)
	}
	a.AcceptedAt = a.AcceptedAt.UTC()
	return &a, nil
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

func decodeAcceptances(ctx context.Context, cur *mongo.Cursor) ([]Acceptance, error) {
	var as []Acceptance
	if err := cur.All(ctx, &as); err != nil {
		return nil, fmt.Errorf("legal: read acceptances: %w", err)
	}
	for i := range as {
		as[i].AcceptedAt = as[i].AcceptedAt.UTC()
	}
	return as, nil
}
