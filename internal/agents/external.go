package agents

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/agents/agentkit"
	"github.com/omnify/bff/internal/text"
)

// AgentService is the separate service that runs EXTERNAL agents (the
// agentkit client).
type AgentService interface {
	// Catalog reads the agents the service offers.
	Catalog(ctx context.Context) ([]agentkit.Agent, error)
	// StartRun asks the service to run one execution.
	StartRun(ctx context.Context, r agentkit.Run) error
}

// DefaultExternalTimeout is how long an external run may take before its
// execution fails [Options.ExternalTimeout].
const DefaultExternalTimeout = 30 * time.Minute

// ExternalCatalog is the CatalogSource of the agent service's agents: the
// catalog last read from the service, offered to every organization beside
// the built-in agents. A key that a built-in agent uses is left out.
type ExternalCatalog struct {
	svc    AgentService
	logger *slog.Logger

	mu   sync.RWMutex
	defs []Definition
}

// NewExternalCatalog returns a catalog of svc's agents; it is empty until
// Refresh succeeds.
func NewExternalCatalog(svc AgentService, logger *slog.Logger) *ExternalCatalog {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &ExternalCatalog{svc: svc, logger: logger}
}

// Refresh reads the service's catalog. On an error the catalog read last
// stays, so an outage of the service hides no agent.
func (c *ExternalCatalog) Refresh(ctx context.Context) error {
	agents, err := c.svc.Catalog(ctx)
	if err != nil {
		return err
	}
	builtIn := BuiltInDefinitions()
	var defs []Definition
	for _, a := range agents {
		if slices.ContainsFunc(builtIn, func(d Definition) bool { return d.Key == a.Key }) {
			c.logger.Warn("agents: the agent service offers an agent under a built-in key; left out", "key", a.Key)
			continue
		}
		schema := a.ParametersSchema
		if schema == nil {
			schema = map[string]any{"type": "object", "additionalProperties": false, "properties": map[string]any{}}
		}
		defs = append(defs, Definition{Key: a.Key, Name: text.Truncate(a.Name, 200), Description: text.Truncate(a.Description, 2000),
			Kind: KindExternal, ParametersSchema: schema})
	}
	c.mu.Lock()
	c.defs = defs
	c.mu.Unlock()
	return nil
}

// Keep refreshes the catalog every interval until ctx ends, logging
// failures.
func (c *ExternalCatalog) Keep(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := c.Refresh(ctx); err != nil && ctx.Err() == nil {
				c.logger.Warn("agents: read the agent service's catalog", "err", err)
			}
		}
	}
}

// Definitions returns the service's agents, the same for every organization.
func (c *ExternalCatalog) Definitions(context.Context, bson.ObjectID) ([]Definition, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return slices.Clone(c.defs), nil
}

// performExternal hands a claimed execution of an EXTERNAL agent to the
// agent service and waits while the service reports through the hook
// (Record). The execution ends when the service reports SUCCEEDED or
// FAILED: the worker then finds its lease gone and stops. It fails when the
// service cannot start the run or does not finish within ExternalTimeout.
func (r *run) performExternal(ctx context.Context) error {
	svc, doc := r.w.svc, r.doc
	if svc.opts.External == nil {
		return &failure{msg: "This agent runs in the agent service, which this server is not connected to."}
	}
	if err := r.step(ctx, "Asking the agent service to run it."); err != nil {
		return err
	}
	err := svc.opts.External.StartRun(ctx, agentkit.Run{ExecutionID: doc.ID.Hex(), AgentKey: doc.AgentKey,
		OrganizationID: doc.OrganizationID.Hex(), Parameters: doc.Parameters, CallbackURL: svc.opts.CallbackURL})
	if err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		svc.opts.Logger.Warn("agents: start an external run", "execution", doc.ID.Hex(), "err", err)
		return &failure{msg: "The agent service could not start this agent; try again later."}
	}
	if err := r.emit(ctx, eventDoc{Type: EventStepCompleted, Message: "The agent service started the run."}); err != nil {
		return err
	}
	timer := time.NewTimer(svc.opts.ExternalTimeout)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-timer.C:
		return &failure{msg: fmt.Sprintf("The agent service did not finish within %s.", svc.opts.ExternalTimeout)}
	}
}

// reportTypes maps what the agent service reports to the log's event types.
var reportTypes = map[string]EventType{
	"STARTED":        EventLog, // Omnify wrote STARTED when a worker claimed the execution
	"STEP_STARTED":   EventStepStarted,
	"LOG":            EventLog,
	"FINDING":        EventFinding,
	"STEP_COMPLETED": EventStepCompleted,
	"SUCCEEDED":      EventSucceeded,
	"FAILED":         EventFailed,
}

// Record appends a report of the agent service to its execution's log, as
// the next event: it implements agentkit.Sink for the hook. A report is
// recorded once: a sequence seen before is a replay and changes nothing.
// A report about an execution that does not exist, or is not an external
// agent's, is agentkit.ErrUnknownExecution; one about an execution that is
// not running is agentkit.ErrFinished.
func (s *Service) Record(ctx context.Context, rep agentkit.Report) error {
	id, err := bson.ObjectIDFromHex(rep.ExecutionID)
	if err != nil {
		return agentkit.ErrUnknownExecution
	}
	doc, err := s.store.execution(ctx, id)
	if err != nil {
		return err
	}
	if doc == nil {
		return agentkit.ErrUnknownExecution
	}
	def, err := s.definition(ctx, doc.OrganizationID, doc.AgentKey)
	if err != nil {
		return err
	}
	if def == nil || def.Kind != KindExternal {
		return agentkit.ErrUnknownExecution
	}
	typ, ok := reportTypes[rep.Type]
	if !ok {
		return fmt.Errorf("agents: report type %q", rep.Type)
	}
	first, err := s.store.markReport(ctx, id, rep.Sequence, s.now())
	if err != nil {
		return err
	}
	if !first {
		return nil
	}
	ev := eventDoc{Type: typ, Message: rep.Message}
	if len(rep.Data) > 0 {
		var data any
		if err := json.Unmarshal(rep.Data, &data); err == nil {
			if m, isObject := data.(map[string]any); isObject {
				ev.Data = m
			} else {
				ev.Data = map[string]any{"value": data}
			}
		}
	}
	if typ == EventSucceeded && ev.Data == nil {
		ev.Data = map[string]any{"summary": rep.Message}
	}
	running := func(h eventDoc) bool { return h.Type != EventQueued && !h.Type.Terminal() }
	won, _, err := s.append(ctx, doc, ev, running)
	if err != nil || !won {
		// Forget the mark, so the service's retry is not taken for a replay.
		if uerr := s.store.unmarkReport(context.WithoutCancel(ctx), id, rep.Sequence); uerr != nil {
			s.opts.Logger.Warn("agents: forget a report's mark", "execution", id.Hex(), "err", uerr)
		}
	}
	if err != nil {
		return err
	}
	if !won {
		return agentkit.ErrFinished
	}
	return nil
}
