package model

import "github.com/omnify/bff/internal/auth"

// Node is any object that `node(id:)` can return: the Go types bound to the
// schema's types that implement the Node interface. The schema, not this
// type, says which those are.
type Node any

// OrganizationMembership is a membership seen from its member's side (the
// schema's OrganizationMembership); the same membership seen from its
// organization is a Member. A type of its own gives each its own id.
type OrganizationMembership auth.Membership
