package agents

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
)

// staleLockAfter is how long an agent's lock may name an execution that
// does not exist: runAgent takes the lock before it stores the execution,
// and a lock older than this without one lost it to a crash.
const staleLockAfter = time.Minute

// Run queues an execution of the organization's agent with params, which
// are checked against the agent's parameters schema, and writes its first
// event (QUEUED).
//
// Returns FORBIDDEN unless the caller is MEMBER or above (a READ API key
// may not), NOT_FOUND for an unknown agent, BAD_USER_INPUT on field
// "parameters.<name>" for a parameter the schema refuses, and CONFLICT when
// the agent is disabled or already has an execution QUEUED or RUNNING.
func (s *Service) Run(ctx context.Context, p *authz.Principal, key string, params map[string]any) (Execution, error) {
	if err := requireWrite(p, runRole); err != nil {
		return Execution{}, err
	}
	agent, err := s.agentOf(ctx, p.OrganizationID, key)
	if err != nil {
		return Execution{}, err
	}
	if !agent.Enabled {
		return Execution{}, apperr.New(apperr.Conflict, "%s is disabled; an admin can enable it.", agent.Name)
	}
	if params == nil {
		params = map[string]any{}
	}
	params, err = ValidateParameters(agent.ParametersSchema, params)
	if err != nil {
		return Execution{}, err
	}

	now := s.now()
	id := bson.NewObjectID()
	if err := s.lockAgent(ctx, agent, id, now); err != nil {
		return Execution{}, err
	}
	ev := eventDoc{ExecutionID: id, OrganizationID: p.OrganizationID, Sequence: 1, Type: EventQueued,
		Message: "Queued.", At: now}
	doc := executionDoc{ID: id, OrganizationID: p.OrganizationID, AgentID: agent.ID, AgentKey: agent.Key,
		Status: ExecutionQueued, Parameters: params, RequestedBy: p.UserID, QueuedAt: now, LastSequence: 1}
	// The first event, then the execution: workers find executions by
	// their document, and its lastSequence must name a stored event.
	if _, err := s.store.insertEvent(ctx, ev); err != nil {
		_ = s.store.unlockAgent(context.WithoutCancel(ctx), agent.ID, id, now)
		return Execution{}, err
	}
	if err := s.store.insertExecution(ctx, doc); err != nil {
		_ = s.store.unlockAgent(context.WithoutCancel(ctx), agent.ID, id, now)
		return Execution{}, err
	}
	if err := s.store.setLastExecution(ctx, agent.ID, id); err != nil {
		return Execution{}, err
	}
	s.published(ctx, ev, &doc)
	return doc.public(), nil
}

// lockAgent takes the agent's active-execution lock for exec, first
// removing a lock whose execution has ended (its ender stopped before it
// released the lock) or never came to be.
func (s *Service) lockAgent(ctx context.Context, agent *agentDoc, exec bson.ObjectID, now time.Time) error {
	for range 3 {
		ok, holder, err := s.store.lockAgent(ctx, agent.ID, exec, now)
		if err != nil || ok {
			return err
		}
		if holder.IsZero() {
			continue // released meanwhile
		}
		cur, err := s.store.execution(ctx, holder)
		if err != nil {
			return err
		}
		stale := false
		switch {
		case cur == nil:
			stale = now.Sub(holder.Timestamp()) > staleLockAfter
		case !cur.Status.Active():
			stale = true
		default:
			head, err := s.headOf(ctx, cur)
			if err != nil {
				return err
			}
			stale = head.Type.Terminal()
		}
		if !stale {
			return apperr.New(apperr.Conflict, "%s is already running; wait for it to finish or cancel it.", agent.Name).
				With("executionId", holder.Hex())
		}
		if err := s.store.unlockAgent(ctx, agent.ID, holder, now); err != nil {
			return err
		}
	}
	return apperr.New(apperr.Conflict, "%s is already running; wait for it to finish or cancel it.", agent.Name)
}

// Cancel cancels the organization's execution: a QUEUED one at once, a
// RUNNING one at its next step (its worker writes CANCELLED). It returns
// the execution as it stands after the request.
//
// Returns FORBIDDEN unless the caller is MEMBER or above (a READ API key
// may not), NOT_FOUND for an execution of another organization, and
// CONFLICT for one that already ended.
func (s *Service) Cancel(ctx context.Context, p *authz.Principal, id bson.ObjectID) (Execution, error) {
	if err := requireWrite(p, runRole); err != nil {
		return Execution{}, err
	}
	doc, err := s.executionOf(ctx, p.OrganizationID, id)
	if err != nil {
		return Execution{}, err
	}
	if !doc.Status.Active() {
		return Execution{}, errEnded(doc.Status)
	}
	if doc, err = s.store.requestCancel(ctx, id); err != nil {
		return Execution{}, err
	}
	if doc == nil {
		return Execution{}, errNotFound("agent execution")
	}
	won, head, err := s.append(ctx, doc, eventDoc{Type: EventCancelled, Message: "Cancelled."}, func(h eventDoc) bool {
		return h.Type == EventQueued
	})
	if err != nil {
		return Execution{}, err
	}
	if !won && head.Type.Terminal() && head.Type != EventCancelled {
		return Execution{}, errEnded(head.Type.status())
	}
	cur, err := s.store.execution(ctx, id)
	if err != nil {
		return Execution{}, err
	}
	if cur == nil {
		return Execution{}, errNotFound("agent execution")
	}
	return cur.public(), nil
}

// errEnded is the error for changing an execution that ended.
func errEnded(st ExecutionStatus) error {
	return apperr.New(apperr.Conflict, "The execution already ended (%s).", st)
}

// maxAppendTries bounds how often append reads a new head and tries again
// before it gives up.
const maxAppendTries = 100

// append adds ev to the log of doc's execution as the event after the
// current head, if allowed approves that head, and reports whether it did.
// The insert of the sequence is the arbiter: of writers racing for one
// sequence, one wins; the others read the new head and ask allowed again.
// The winner projects the event onto the execution document, releases the
// agent's lock after a terminal event, and publishes. head is the event
// appended, or the head that allowed refused.
func (s *Service) append(ctx context.Context, doc *executionDoc, ev eventDoc, allowed func(head eventDoc) bool) (bool, eventDoc, error) {
	head, err := s.headOf(ctx, doc)
	if err != nil {
		return false, eventDoc{}, err
	}
	return s.appendAfter(ctx, doc, head, ev, allowed)
}

// appendAfter is append from a head the caller knows (a worker knows the
// last event it wrote).
func (s *Service) appendAfter(ctx context.Context, doc *executionDoc, head, ev eventDoc, allowed func(head eventDoc) bool) (bool, eventDoc, error) {
	for range maxAppendTries {
		if head.Type.Terminal() || !allowed(head) {
			return false, head, nil
		}
		e := ev
		e.ExecutionID, e.OrganizationID = doc.ID, doc.OrganizationID
		e.Sequence = head.Sequence + 1
		e.Attempt = head.Attempt
		if e.Type == EventStarted {
			e.Attempt = head.Attempt + 1
		}
		if e.Type == EventQueued && ev.Attempt < 0 {
			e.Attempt = head.Attempt - 1 // a requeue that does not count as an attempt
		}
		if e.At.IsZero() {
			e.At = s.now()
		}
		won, err := s.store.insertEvent(ctx, e)
		if err != nil {
			return false, head, err
		}
		if won {
			return true, e, s.applied(ctx, e, doc)
		}
		if head, err = s.walk(ctx, head); err != nil {
			return false, head, err
		}
	}
	return false, head, fmt.Errorf("agents: execution %s: the log kept moving; gave up after %d tries", doc.ID.Hex(), maxAppendTries)
}

// applied projects a won event onto the execution, releases the agent's
// lock after a terminal event, and publishes the event.
func (s *Service) applied(ctx context.Context, e eventDoc, doc *executionDoc) error {
	ctx = context.WithoutCancel(ctx) // the event is stored: finish what follows it
	cur, err := s.store.project(ctx, e, s.opts.LeaseTTL)
	if err != nil {
		return err
	}
	if cur == nil {
		if cur, err = s.store.execution(ctx, e.ExecutionID); err != nil {
			return err
		}
	}
	if cur != nil {
		*doc = *cur
	}
	if e.Type.Terminal() {
		if err := s.store.unlockAgent(ctx, doc.AgentID, doc.ID, e.At); err != nil {
			return err
		}
	}
	s.published(ctx, e, doc)
	return nil
}

// headOf returns the newest event of doc's execution: the one its
// document last applied, or a later one that a writer stored but did not
// apply (it stopped in between), which walk applies on the way.
func (s *Service) headOf(ctx context.Context, doc *executionDoc) (eventDoc, error) {
	e, err := s.store.event(ctx, doc.ID, doc.LastSequence)
	if err != nil {
		return eventDoc{}, err
	}
	if e == nil {
		return eventDoc{}, fmt.Errorf("agents: execution %s has no event %d", doc.ID.Hex(), doc.LastSequence)
	}
	return s.walk(ctx, *e)
}

// walk follows the log from from to its newest event, by _id, and
// projects each event it passes (idempotent: a projection never goes
// back).
func (s *Service) walk(ctx context.Context, from eventDoc) (eventDoc, error) {
	cur := from
	for {
		next, err := s.store.event(ctx, cur.ExecutionID, cur.Sequence+1)
		if err != nil {
			return cur, err
		}
		if next == nil {
			return cur, nil
		}
		if _, err := s.store.project(ctx, *next, s.opts.LeaseTTL); err != nil {
			return cur, err
		}
		cur = *next
	}
}

// The bus subjects: one per execution for its events, one per
// organization for status changes. Subscribers only ever hear about their
// own organization.
func executionSubject(org, exec bson.ObjectID) string {
	return "agents." + org.Hex() + ".executions." + exec.Hex()
}

func activitySubject(org bson.ObjectID) string { return "agents." + org.Hex() + ".activity" }

// published sends a stored event on the bus, and for a status change the
// organization's activity. Publishing never blocks the writer and a
// failure loses nothing: the event is stored.
func (s *Service) published(ctx context.Context, e eventDoc, doc *executionDoc) {
	data, err := json.Marshal(e.public())
	if err == nil {
		err = s.opts.Bus.Publish(ctx, executionSubject(e.OrganizationID, e.ExecutionID), data)
	}
	if err != nil {
		s.opts.Logger.WarnContext(ctx, "agents: publish execution event", "execution", e.ExecutionID.Hex(), "err", err)
	}
	switch e.Type {
	case EventQueued, EventStarted, EventSucceeded, EventFailed, EventCancelled:
	default:
		return
	}
	exec := doc.public()
	exec.Status = e.Type.status()
	a := Activity{Execution: exec, Status: exec.Status, At: e.At}
	if agent, err := s.store.agent(ctx, doc.AgentID); err == nil && agent != nil {
		a.Agent = agent.public()
	} else {
		a.Agent = Agent{ID: doc.AgentID, OrganizationID: doc.OrganizationID, Key: doc.AgentKey, Enabled: true}
	}
	a.Agent.LastExecution = &a.Execution
	if data, err = json.Marshal(a); err == nil {
		err = s.opts.Bus.Publish(ctx, activitySubject(e.OrganizationID), data)
	}
	if err != nil {
		s.opts.Logger.WarnContext(ctx, "agents: publish activity", "execution", e.ExecutionID.Hex(), "err", err)
	}
}
