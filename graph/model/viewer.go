package model

import "github.com/omnify/bff/internal/auth"

// Viewer is the caller, as the `me` query shows it.
type Viewer struct {
	// Principal is the authenticated caller.
	*auth.Principal
}
