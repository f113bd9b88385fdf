package platform

import "fmt"

// Pager guards one listing against a platform that paginates forever:
// through a cursor it has already returned, or through more pages than
// Options.MaxPages. It is not safe for concurrent use; make one per listing.
type Pager struct {
	max   int
	pages int
	seen  map[string]struct{}
}

// Next records that the page at cursor is about to be fetched; the first
// page's cursor is usually "". It fails with ErrPageLoop when cursor was
// fetched before and with ErrTooManyPages past the limit.
func (p *Pager) Next(cursor string) error {
	if _, ok := p.seen[cursor]; ok {
		return ErrPageLoop
	}
	if p.pages >= p.max {
		return fmt.Errorf("%w (%d pages)", ErrTooManyPages, p.max)
	}
	p.seen[cursor] = struct{}{}
	p.pages++
	return nil
}
