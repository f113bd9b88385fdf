package model

import "github.com/omnify/bff/internal/authz"

// Viewer is the caller, as the `me` query shows it.
type Viewer struct {
	// Principal is the authenticated caller.
	*authz.Principal
}
