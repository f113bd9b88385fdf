package mongodb

import (
	"context"
	"slices"
	"sync"

	"go.mongodb.org/mongo-driver/v2/event"
)

// CommandCounter counts the commands a client sends, by command name, so that
// a test can assert how many round trips a piece of work costs (for example
// that a dataloader batched a whole list into one find).
type CommandCounter struct {
	mu sync.Mutex
	// counts is by command name and collection.
	counts map[[2]string]int
	db     string
	only   func(context.Context) bool
}

// Only makes the counter count only the commands whose context keep
// approves, for example those sent while serving a request, so that a
// worker polling in the background does not blur a count. Call it before
// any command is sent.
func (c *CommandCounter) Only(keep func(context.Context) bool) { c.only = keep }

// NewCommandCounter counts commands sent to database db, or to any database
// when db is empty. Connection housekeeping (hello, ping, endSessions, auth)
// is not counted.
func NewCommandCounter(db string) *CommandCounter {
	return &CommandCounter{counts: map[[2]string]int{}, db: db}
}

// Monitor returns a driver command monitor that feeds the counter.
func (c *CommandCounter) Monitor() *event.CommandMonitor {
	return &event.CommandMonitor{Started: c.Started}
}

// Started records one command; it has the signature of event.CommandMonitor.Started.
func (c *CommandCounter) Started(ctx context.Context, e *event.CommandStartedEvent) {
	switch e.CommandName {
	case "hello", "isMaster", "ismaster", "ping", "endSessions", "saslStart", "saslContinue", "buildInfo", "getParameter":
		return
	}
	if c.db != "" && e.DatabaseName != c.db {
		return
	}
	if c.only != nil && !c.only(ctx) {
		return
	}
	// A command names its collection as the value of its first element
	// (find, aggregate, insert, update, delete, count, ...).
	var coll string
	if el, err := e.Command.IndexErr(0); err == nil {
		coll, _ = el.Value().StringValueOK()
	}
	c.mu.Lock()
	c.counts[[2]string{e.CommandName, coll}]++
	c.mu.Unlock()
}

// CountOn returns how many commands named name were sent to collection coll.
func (c *CommandCounter) CountOn(name, coll string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[[2]string{name, coll}]
}

// Count returns how many commands with the given names were sent, or how many
// commands of any name when none are given.
func (c *CommandCounter) Count(names ...string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for k, v := range c.counts {
		if len(names) == 0 || slices.Contains(names, k[0]) {
			n += v
		}
	}
	return n
}

// Reset forgets every count.
func (c *CommandCounter) Reset() {
	c.mu.Lock()
	clear(c.counts)
	c.mu.Unlock()
}
