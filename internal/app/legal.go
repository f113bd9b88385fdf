package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/config"
	"github.com/omnify/bff/internal/legal"
	"github.com/omnify/bff/internal/mongodb"
)

// PublishInput is an operator's request to publish a legal document version.
type PublishInput struct {
	// Kind of the document; may be left empty when the file's header names it.
	Kind legal.Kind
	// Title; may be left empty when the file's header has one.
	Title string
	// File is the document file's content: Markdown with an optional header.
	File []byte
}

// PublishLegalDocument publishes a new version of a legal document to the
// configured database (the embedded one under OMNIFY_DATA_DIR, or
// MONGODB_URI), as `omnify legal publish` does. Shipped versions are loaded
// first, so the new version always follows them. A version number in the
// file's header must be the next one. Nothing is published on any error.
//
// It returns legal.CurrentTTL after the version was written, when every
// server's list of current versions has been read again: from then on
// every request is gated on the new version.
func PublishLegalDocument(ctx context.Context, cfg config.Config, logger *slog.Logger, in PublishInput) (legal.Document, error) {
	header, body, err := legal.ParseDocument(in.File)
	if err != nil {
		return legal.Document{}, err
	}
	kind, title := in.Kind, in.Title
	switch {
	case kind == "" && header.Kind == "":
		return legal.Document{}, errors.New("give the kind with --kind or in the file's header")
	case kind == "":
		kind = header.Kind
	case header.Kind != "" && header.Kind != kind:
		return legal.Document{}, fmt.Errorf("--kind %s does not match the file's header (kind: %s)", kind, header.Kind)
	}
	if title == "" {
		title = header.Title
	}
	if title == "" {
		return legal.Document{}, errors.New("give the title with --title or in the file's header")
	}

	db, err := mongodb.Open(ctx, mongoOptions(cfg, logger, "omnify-legal"))
	if err != nil {
		return legal.Document{}, err
	}
	defer db.Close(context.WithoutCancel(ctx))

	svc := legal.New(legal.NewStore(db), legal.Options{})
	if err := svc.EnsureShipped(ctx); err != nil {
		return legal.Document{}, err
	}
	var doc legal.Document
	if header.Version != 0 {
		doc, err = svc.PublishVersion(ctx, kind, header.Version, title, body)
	} else {
		doc, err = svc.Publish(ctx, kind, title, body)
	}
	if err != nil {
		return doc, err
	}
	select {
	case <-time.After(legal.CurrentTTL):
	case <-ctx.Done():
	}
	return doc, nil
}

// ErrorMessage is the message of err fit for an operator's terminal: a
// domain error's own message, or the error itself.
func ErrorMessage(err error) string {
	if ae, ok := apperr.As(err); ok {
		return ae.Message
	}
	return err.Error()
}
