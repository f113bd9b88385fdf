package legal

import (
	"cmp"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"path"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/omnify/bff/internal/apperr"
)

// shippedFiles are the document versions that ship with the binary.
//
//go:embed documents/*.md
var shippedFiles embed.FS

// publishAttempts bounds how often Publish retries when a concurrent
// publication took the version number it chose.
const publishAttempts = 8

// bodyHash returns the lowercase hex SHA-256 of body.
func bodyHash(body string) string {
	sum := sha256.Sum256([]byte(body))
	return hex.EncodeToString(sum[:])
}

// shippedDocument is a document file embedded in the binary.
type shippedDocument struct {
	file string
	Header
	body string
}

// shippedDocuments parses the embedded document files, ordered by kind and
// version. Each must have a header with kind, version and title, and no two
// may share a kind and version.
func shippedDocuments() ([]shippedDocument, error) {
	entries, err := shippedFiles.ReadDir("documents")
	if err != nil {
		return nil, fmt.Errorf("legal: read shipped documents: %w", err)
	}
	var docs []shippedDocument
	for _, e := range entries {
		file := path.Join("documents", e.Name())
		data, err := shippedFiles.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("legal: read %s: %w", file, err)
		}
		h, body, err := ParseDocument(data)
		if err != nil {
			return nil, fmt.Errorf("legal: %s: %w", file, err)
		}
		if h.Kind == "" || h.Version == 0 || h.Title == "" {
			return nil, fmt.Errorf("legal: %s: the header must give kind, version and title", file)
		}
		for _, d := range docs {
			if d.Kind == h.Kind && d.Version == h.Version {
				return nil, fmt.Errorf("legal: %s and %s are both version %d of %s", d.file, file, h.Version, h.Kind)
			}
		}
		docs = append(docs, shippedDocument{file: file, Header: h, body: body})
	}
	slices.SortFunc(docs, func(a, b shippedDocument) int {
		return cmp.Or(cmp.Compare(a.Kind.rank(), b.Kind.rank()), cmp.Compare(a.Version, b.Version))
	})
	return docs, nil
}

// EnsureShipped creates the indexes and publishes the document versions that
// ship with the binary (internal/legal/documents) that are not published yet.
// It is idempotent and safe to run from several replicas at once: each
// version is published exactly once. It returns an error, not an
// *apperr.Error, when a published version's body differs from the shipped
// file, since published versions are immutable: a changed text must ship as
// a new version.
func (s *Service) EnsureShipped(ctx context.Context) error {
	docs, err := shippedDocuments()
	if err != nil {
		return err
	}
	if err := s.store.EnsureIndexes(ctx); err != nil {
		return err
	}
	existing, err := s.store.allMetadata(ctx)
	if err != nil {
		return err
	}
	for _, sd := range docs {
		hash := bodyHash(sd.body)
		i := slices.IndexFunc(existing, func(d Document) bool { return d.Kind == sd.Kind && d.Version == sd.Version })
		if i >= 0 {
			if err := checkShipped(sd, hash, existing[i]); err != nil {
				return err
			}
			continue
		}
		d := Document{
			ID:          bson.NewObjectID(),
			Kind:        sd.Kind,
			Version:     sd.Version,
			Title:       sd.Title,
			Body:        sd.body,
			BodySHA256:  hash,
			PublishedAt: s.clock(),
		}
		err := s.insertDocument(ctx, d)
		if err == nil {
			continue
		}
		if !mongo.IsDuplicateKeyError(err) {
			return fmt.Errorf("legal: publish %s: %w", sd.file, err)
		}
		// Another replica published it in the meantime.
		got, err := s.store.findDocument(ctx, sd.Kind, sd.Version)
		if err != nil {
			return err
		}
		if got == nil {
			return fmt.Errorf("legal: publish %s: version %d of %s is reported to exist but cannot be found", sd.file, sd.Version, sd.Kind)
		}
		if err := checkShipped(sd, hash, *got); err != nil {
			return err
		}
	}
	return nil
}

// checkShipped returns an error when the published version d differs from
// the shipped file.
func checkShipped(sd shippedDocument, hash string, d Document) error {
	if d.BodySHA256 != hash {
		return fmt.Errorf("legal: %s differs from the published version %d of %s (body sha256 %s, published %s); "+
			"published versions are immutable: restore the file and ship the change as a new version",
			sd.file, sd.Version, sd.Kind, hash, d.BodySHA256)
	}
	return nil
}

// Publish publishes a new version of kind with the next version number and
// returns it. The title is trimmed; the body is normalized like ParseDocument
// does. Concurrent publications of one kind get distinct numbers.
//
// Returns BAD_USER_INPUT (field kind, title or body) for an unknown kind, an
// empty or overlong title or an empty or overlong body, and CONFLICT when
// concurrent publications kept taking the next number.
func (s *Service) Publish(ctx context.Context, kind Kind, title, body string) (Document, error) {
	d, err := newVersion(kind, title, body)
	if err != nil {
		return Document{}, err
	}
	for range publishAttempts {
		latest, err := s.store.maxVersion(ctx, kind)
		if err != nil {
			return Document{}, err
		}
		d.ID = bson.NewObjectID()
		d.Version = latest + 1
		d.PublishedAt = s.clock()
		err = s.insertDocument(ctx, d)
		if err == nil {
			return d, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return Document{}, fmt.Errorf("legal: publish %s version %d: %w", kind, d.Version, err)
		}
	}
	return Document{}, apperr.New(apperr.Conflict, "other versions of %s were being published at the same time; try again", kind)
}

// newVersion checks a version about to be published and returns it without
// id, number or time: the kind must be known, the title trimmed and the body
// normalized like ParseDocument does, neither empty nor too long.
func newVersion(kind Kind, title, body string) (Document, error) {
	if err := checkKind(kind); err != nil {
		return Document{}, err
	}
	title = strings.TrimSpace(title)
	if err := checkTitle(title); err != nil {
		return Document{}, err
	}
	body = normalizeBody(body)
	if err := checkBody(body); err != nil {
		return Document{}, err
	}
	return Document{Kind: kind, Title: title, Body: body, BodySHA256: bodyHash(body)}, nil
}

// PublishVersion publishes exactly the given version of kind, as an
// operator's file header may ask. It must be the next one: an existing
// version number gets CONFLICT, a gap BAD_USER_INPUT (field version), and
// nothing is published. Other errors are Publish's.
func (s *Service) PublishVersion(ctx context.Context, kind Kind, version int, title, body string) (Document, error) {
	d, err := newVersion(kind, title, body)
	if err != nil {
		return Document{}, err
	}
	latest, err := s.store.maxVersion(ctx, kind)
	if err != nil {
		return Document{}, err
	}
	switch {
	case version <= latest:
		return Document{}, apperr.New(apperr.Conflict, "version %d of %s already exists; the next version is %d", version, kind, latest+1)
	case version > latest+1:
		return Document{}, apperr.Invalid("version", "version %d of %s would skip versions; the next version is %d", version, kind, latest+1)
	}
	d.ID, d.Version, d.PublishedAt = bson.NewObjectID(), version, s.clock()
	if err := s.insertDocument(ctx, d); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return Document{}, apperr.New(apperr.Conflict, "version %d of %s was published meanwhile", version, kind)
		}
		return Document{}, fmt.Errorf("legal: publish %s version %d: %w", kind, version, err)
	}
	return d, nil
}

// insertDocument publishes d and makes this process read the current
// versions again, whether the insert succeeded or found the version
// published by another process meanwhile.
func (s *Service) insertDocument(ctx context.Context, d Document) error {
	err := s.store.insertDocument(ctx, d)
	s.current.invalidate()
	return err
}

// Current returns the current (highest) version of each kind that has one,
// with bodies, ordered terms, privacy policy, DPA. It costs one query, and
// a second at most every CurrentTTL.
func (s *Service) Current(ctx context.Context) ([]Document, error) {
	current, _, err := s.current.get(ctx)
	if err != nil {
		return nil, err
	}
	if len(current) == 0 {
		return nil, nil
	}
	ids := make([]bson.ObjectID, len(current))
	for i, d := range current {
		ids[i] = d.ID
	}
	return s.DocumentsByIDs(ctx, ids)
}

// currentVersions returns the highest version of each kind among ds, ordered
// by kind.
func currentVersions(ds []Document) []Document {
	var current []Document
	for _, d := range ds {
		if !d.Kind.Valid() {
			continue
		}
		i := slices.IndexFunc(current, func(c Document) bool { return c.Kind == d.Kind })
		switch {
		case i < 0:
			current = append(current, d)
		case d.Version > current[i].Version:
			current[i] = d
		}
	}
	slices.SortFunc(current, func(a, b Document) int { return cmp.Compare(a.Kind.rank(), b.Kind.rank()) })
	return current
}

// Document returns one version of a document.
//
// Returns BAD_USER_INPUT (field kind) for an unknown kind and NOT_FOUND when
// the version does not exist.
func (s *Service) Document(ctx context.Context, kind Kind, version int) (Document, error) {
	if err := checkKind(kind); err != nil {
		return Document{}, err
	}
	if version >= 1 {
		d, err := s.store.findDocument(ctx, kind, version)
		if err != nil {
			return Document{}, err
		}
		if d != nil {
			return *d, nil
		}
	}
	return Document{}, apperr.New(apperr.NotFound, "there is no version %d of %s", version, kind)
}

// DocumentsByIDs returns the documents with the given ids, with bodies, in
// one query, for dataloaders. The result follows the order of ids (an id
// given twice appears twice); ids that match no document are left out.
func (s *Service) DocumentsByIDs(ctx context.Context, ids []bson.ObjectID) ([]Document, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	found, err := s.store.documentsByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[bson.ObjectID]Document, len(found))
	for _, d := range found {
		byID[d.ID] = d
	}
	out := make([]Document, 0, len(ids))
	for _, id := range ids {
		if d, ok := byID[id]; ok {
			out = append(out, d)
		}
	}
	return out, nil
}
