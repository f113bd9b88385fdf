package agents

import (
	"context"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/page"
)

// Agents returns the organization's agents, by key. The first read of an
// organization's agents stores its catalog (so organizations created
// after start-up get their agents without the auth module knowing about
// agents).
//
// Returns FORBIDDEN without a role in an organization.
func (s *Service) Agents(ctx context.Context, p *authz.Principal) ([]Agent, error) {
	if err := require(p, readRole); err != nil {
		return nil, err
	}
	docs, err := s.store.agentsOf(ctx, p.OrganizationID)
	if err != nil {
		return nil, err
	}
	if docs, err = s.ensure(ctx, p.OrganizationID, docs); err != nil {
		return nil, err
	}
	out := make([]Agent, len(docs))
	for i, d := range docs {
		out[i] = d.public()
	}
	return out, nil
}

// Agent returns the organization's agent with the catalog key.
//
// Returns FORBIDDEN without a role in an organization, and NOT_FOUND when
// the organization has no such agent.
func (s *Service) Agent(ctx context.Context, p *authz.Principal, key string) (Agent, error) {
	if err := require(p, readRole); err != nil {
		return Agent{}, err
	}
	d, err := s.agentOf(ctx, p.OrganizationID, key)
	if err != nil {
		return Agent{}, err
	}
	return d.public(), nil
}

// agentOf returns the organization's stored agent with the key, storing
// the catalog first when the organization has not been read yet.
func (s *Service) agentOf(ctx context.Context, org bson.ObjectID, key string) (*agentDoc, error) {
	if key == "" || strings.ContainsAny(key, ":~") {
		return nil, errNotFound("agent")
	}
	d, err := s.store.agent(ctx, agentID(org, key))
	if err != nil || d != nil {
		return d, err
	}
	if err := s.EnsureCatalog(ctx, org); err != nil {
		return nil, err
	}
	if d, err = s.store.agent(ctx, agentID(org, key)); err != nil {
		return nil, err
	}
	if d == nil {
		return nil, errNotFound("agent")
	}
	return d, nil
}

// SetEnabled turns the organization's agent on or off. A disabled agent
// cannot be run; an execution already queued or running goes on.
//
// Returns FORBIDDEN unless the caller is ADMIN or above (a READ API key
// may not), and NOT_FOUND for an unknown agent.
func (s *Service) SetEnabled(ctx context.Context, p *authz.Principal, key string, enabled bool) (Agent, error) {
	if err := requireWrite(p, manageRole); err != nil {
		return Agent{}, err
	}
	d, err := s.agentOf(ctx, p.OrganizationID, key)
	if err != nil {
		return Agent{}, err
	}
	if d, err = s.store.setEnabled(ctx, d.ID, enabled); err != nil {
		return Agent{}, err
	}
	if d == nil {
		return Agent{}, errNotFound("agent")
	}
	return d.public(), nil
}

// Executions returns a page of the agent's executions, newest first:
// first is 1 to 100 (nil for 20), after the cursor of the last execution
// of the previous page.
//
// Returns FORBIDDEN without a role in an organization, NOT_FOUND for an
// unknown agent, and BAD_USER_INPUT on field first or after.
func (s *Service) Executions(ctx context.Context, p *authz.Principal, key string, first *int, after *string) (page.Page[Execution], error) {
	if err := require(p, readRole); err != nil {
		return page.Page[Execution]{}, err
	}
	r, err := page.Default(first, after, 2)
	if err != nil {
		return page.Page[Execution]{}, err
	}
	docs, err := s.store.executionsOf(ctx, agentID(p.OrganizationID, key), r)
	if err != nil {
		return page.Page[Execution]{}, err
	}
	out := page.Page[Execution]{Items: make([]Execution, len(docs.Items)), Cursors: docs.Cursors,
		HasNextPage: docs.HasNextPage, HasPreviousPage: docs.HasPreviousPage, TotalCount: docs.TotalCount}
	for i, d := range docs.Items {
		out.Items[i] = d.public()
	}
	return out, nil
}

// Execution returns the organization's execution with the id.
//
// Returns FORBIDDEN without a role in an organization, and NOT_FOUND when
// it does not exist or belongs to another organization.
func (s *Service) Execution(ctx context.Context, p *authz.Principal, id bson.ObjectID) (Execution, error) {
	if err := require(p, readRole); err != nil {
		return Execution{}, err
	}
	d, err := s.executionOf(ctx, p.OrganizationID, id)
	if err != nil {
		return Execution{}, err
	}
	return d.public(), nil
}

// executionOf returns the organization's execution, or NOT_FOUND.
func (s *Service) executionOf(ctx context.Context, org, id bson.ObjectID) (*executionDoc, error) {
	d, err := s.store.execution(ctx, id)
	if err != nil {
		return nil, err
	}
	if d == nil || d.OrganizationID != org {
		return nil, errNotFound("agent execution")
	}
	return d, nil
}

// ExecutionsByIDs returns the organization's executions among ids, in any
// order, in one query; for dataloaders (an agent's last execution).
//
// Returns FORBIDDEN without a role in an organization.
func (s *Service) ExecutionsByIDs(ctx context.Context, p *authz.Principal, ids []bson.ObjectID) ([]Execution, error) {
	if err := require(p, readRole); err != nil {
		return nil, err
	}
	docs, err := s.store.executionsByIDs(ctx, p.OrganizationID, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Execution, len(docs))
	for i, d := range docs {
		out[i] = d.public()
	}
	return out, nil
}

// Events returns the execution's events with a sequence above
// afterSequence (nil: from the first), in order, at most first of them
// (nil for DefaultEventsPerPage, at most MaxEventsPerPage).
//
// Returns FORBIDDEN without a role in an organization, NOT_FOUND for an
// execution of another organization, and BAD_USER_INPUT on field first or
// afterSequence.
func (s *Service) Events(ctx context.Context, p *authz.Principal, id bson.ObjectID, afterSequence, first *int) ([]Event, error) {
	if err := require(p, readRole); err != nil {
		return nil, err
	}
	n := DefaultEventsPerPage
	if first != nil {
		n = *first
	}
	if n < 1 || n > MaxEventsPerPage {
		return nil, apperr.Invalid("first", "first must be between 1 and %d, got %d.", MaxEventsPerPage, n)
	}
	after := 0
	if afterSequence != nil {
		after = *afterSequence
	}
	if after < 0 {
		return nil, apperr.Invalid("afterSequence", "afterSequence must be 0 or more, got %d.", after)
	}
	if _, err := s.executionOf(ctx, p.OrganizationID, id); err != nil {
		return nil, err
	}
	docs, err := s.store.eventsAfter(ctx, id, after, n)
	if err != nil {
		return nil, err
	}
	out := make([]Event, len(docs))
	for i, d := range docs {
		out[i] = d.public()
	}
	return out, nil
}
