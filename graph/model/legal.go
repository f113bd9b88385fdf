package model

import (
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/legal"
)

// ViewerLegal is where a caller stands with the legal documents. Its
// acceptances are paged by their own resolver, for Principal.
type ViewerLegal struct {
	// UpToDate is true when nothing required is pending.
	UpToDate bool
	// Pending are the current versions the caller must still accept.
	Pending []*legal.Document
	// Principal is the caller; nil never reaches the schema.
	Principal *authz.Principal
}
