// Package agents runs Omnify's agents: analyzers that read an
// organization's synced marketing data (Triple Whale, HubSpot, Klaviyo) and
// report findings. Each organization has the built-in catalog
// (roas-guardian, pipeline-scout, email-auditor); external agents, served
// by an agent service, will join through a CatalogSource.
//
// An execution is a durable event log. Every step writes an event with the
// execution's next sequence number (1, 2, 3, …) to MongoDB first and only
// then publishes it on the events bus, so a subscriber that misses a
// message (a full buffer, a reconnect, another replica) loses nothing: it
// reads the log again after the last sequence it saw.
//
// The log is also the arbiter of every state change. The event's _id is
// derived from the execution and the sequence, and (executionId, sequence)
// is unique, so of two processes that try to move an execution at once
// (two workers claiming it, a cancel racing a success, a lease sweeper
// racing the worker that holds the lease) exactly one inserts the next
// event: that one made the move, the other reads the new head and acts on
// it. The execution document is a projection of the log, updated by the
// winner under mongodb.DB.Exclusive and only forward (a projection of an
// older event never overwrites a newer one).
//
// At most one execution per agent is QUEUED or RUNNING: runAgent inserts
// an "active execution" lock document keyed by the agent, which the end of
// the execution removes; a second run meets the unique key and gets
// CONFLICT, in this process or any other.
//
// Workers (processes whose role runs background work) claim QUEUED
// executions by appending STARTED, hold a lease they renew while running,
// and end them SUCCEEDED, FAILED or CANCELLED. A lease that expires (the
// process died) sends the execution back to the queue once; the second
// time it is FAILED as interrupted.
//
// Every method a caller reaches takes the caller's *authz.Principal, checks
// its role with authz and reads only the caller's organization: another
// organization's agent or execution is NOT_FOUND. Only the Worker reads
// across organizations, to find work.
package agents

import (
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
)

// Kind says where an agent comes from.
type Kind string

// The agent kinds.
const (
	// KindBuiltIn agents ship with Omnify and run in its workers.
	KindBuiltIn Kind = "BUILT_IN"
	// KindExternal agents are served by an agent service.
	KindExternal Kind = "EXTERNAL"
)

// Status is an agent's state, derived from its last execution.
type Status string

// The agent statuses.
const (
	// StatusIdle: enabled, and the last execution (if any) did not fail.
	StatusIdle Status = "IDLE"
	// StatusRunning: an execution is QUEUED or RUNNING.
	StatusRunning Status = "RUNNING"
	// StatusError: the last execution FAILED.
	StatusError Status = "ERROR"
	// StatusDisabled: an admin turned the agent off; it cannot be run.
	StatusDisabled Status = "DISABLED"
)

// ExecutionStatus is the state of one execution.
type ExecutionStatus string

// The execution statuses. QUEUED and RUNNING are active; the others are
// final.
const (
	ExecutionQueued    ExecutionStatus = "QUEUED"
	ExecutionRunning   ExecutionStatus = "RUNNING"
	ExecutionSucceeded ExecutionStatus = "SUCCEEDED"
	ExecutionFailed    ExecutionStatus = "FAILED"
	ExecutionCancelled ExecutionStatus = "CANCELLED"
)

// Active reports whether an execution in status s has not ended.
func (s ExecutionStatus) Active() bool { return s == ExecutionQueued || s == ExecutionRunning }

// EventType is the kind of an event of an execution's log.
type EventType string

// The event types. QUEUED, STARTED, SUCCEEDED, FAILED and CANCELLED move
// the execution; the others report progress.
const (
	EventQueued        EventType = "QUEUED"
	EventStarted       EventType = "STARTED"
	EventStepStarted   EventType = "STEP_STARTED"
	EventLog           EventType = "LOG"
	EventFinding       EventType = "FINDING"
	EventStepCompleted EventType = "STEP_COMPLETED"
	EventSucceeded     EventType = "SUCCEEDED"
	EventFailed        EventType = "FAILED"
	EventCancelled     EventType = "CANCELLED"
)

// Terminal reports whether t ends the execution: nothing follows it.
func (t EventType) Terminal() bool {
	return t == EventSucceeded || t == EventFailed || t == EventCancelled
}

// status is the execution status an event of type t leaves.
func (t EventType) status() ExecutionStatus {
	switch t {
	case EventQueued:
		return ExecutionQueued
	case EventSucceeded:
		return ExecutionSucceeded
	case EventFailed:
		return ExecutionFailed
	case EventCancelled:
		return ExecutionCancelled
	}
	return ExecutionRunning
}

// The roles the service requires, from authz's one role model. API keys
// act with their role: a READ key as VIEWER, a READ_WRITE key as ADMIN
// (never above its creator), and only a key that may write changes things.
const (
	// readRole reads agents, executions and their events.
	readRole = authz.RoleViewer
	// runRole runs and cancels executions.
	runRole = authz.RoleMember
	// manageRole enables and disables agents.
	manageRole = authz.RoleAdmin
)

// Agent is one agent of an organization.
type Agent struct {
	// ID is the agent's key within Omnify: the organization and the agent's
	// catalog key ("<organization hex>:<key>"), the stored _id.
	ID string
	// OrganizationID is the organization the agent works for.
	OrganizationID bson.ObjectID
	// Key names the agent in the catalog, for example "roas-guardian".
	Key string
	// Name is the agent's display name.
	Name string
	// Description says what the agent does, for the shop owner.
	Description string
	// Kind says where the agent comes from.
	Kind Kind
	// Enabled is false when an admin turned the agent off.
	Enabled bool
	// ParametersSchema is the JSON Schema of the agent's parameters.
	ParametersSchema map[string]any
	// LastExecutionID is the agent's newest execution; zero before the first.
	LastExecutionID bson.ObjectID
	// LastExecution, when set, is a snapshot of that execution taken with
	// the agent (live events carry one); otherwise callers load it.
	LastExecution *Execution
}

// StatusWith returns the agent's status when last is its newest execution
// (nil when it has none).
func (a *Agent) StatusWith(last *Execution) Status {
	switch {
	case !a.Enabled:
		return StatusDisabled
	case last == nil:
		return StatusIdle
	case last.Status.Active():
		return StatusRunning
	case last.Status == ExecutionFailed:
		return StatusError
	}
	return StatusIdle
}

// Execution is one run of an agent.
type Execution struct {
	// ID identifies the execution.
	ID bson.ObjectID
	// OrganizationID is the organization it runs for.
	OrganizationID bson.ObjectID
	// AgentID is the Agent.ID of the agent it runs.
	AgentID string
	// AgentKey is the agent's catalog key.
	AgentKey string
	// Status is where it stands.
	Status ExecutionStatus
	// Parameters are the validated parameters, defaults filled in.
	Parameters map[string]any
	// RequestedBy is the user who ran it; zero for an API key.
	RequestedBy bson.ObjectID
	// QueuedAt is when it was queued.
	QueuedAt time.Time
	// StartedAt is when a worker last started it; nil while queued.
	StartedAt *time.Time
	// FinishedAt is when it ended; nil while active.
	FinishedAt *time.Time
	// Result is the analyzer's report, set when it SUCCEEDED.
	Result map[string]any
	// Error explains a failure for the shop owner.
	Error string
	// CancelRequested is true once a member asked to cancel it.
	CancelRequested bool
	// LastSequence is the sequence of the newest event applied to it.
	LastSequence int
}

// Event is one entry of an execution's log.
type Event struct {
	// ExecutionID is the execution the event belongs to.
	ExecutionID bson.ObjectID
	// OrganizationID is the execution's organization.
	OrganizationID bson.ObjectID
	// Sequence numbers the execution's events 1, 2, 3, … without gaps.
	Sequence int
	// Type says what happened.
	Type EventType
	// Message describes it for the shop owner.
	Message string
	// Data carries details (a finding's figures, the result); may be nil.
	Data map[string]any
	// At is when it happened.
	At time.Time
}

// Activity is a status change of one of an organization's executions, as
// the agentActivity subscription streams it.
type Activity struct {
	// Execution is a snapshot of the execution after the change.
	Execution Execution
	// Agent is the execution's agent, with the execution as its last one.
	Agent Agent
	// Status is the execution's status after the change.
	Status ExecutionStatus
	// At is when the change happened.
	At time.Time
}

// errNotFound is the error for an object that does not exist or belongs to
// another organization: the two are not told apart.
func errNotFound(what string) error {
	return apperr.New(apperr.NotFound, "No such %s.", what)
}

// constError is an error that can be a constant.
type constError string

func (e constError) Error() string { return string(e) }
