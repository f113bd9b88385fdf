// Package platform provides what the Triple Whale, HubSpot and Klaviyo
// clients share: a Caller that sends JSON requests with a per-request
// timeout, bounded retries and redacted errors; the Error type every client
// returns for a failed call; a Pager that stops runaway pagination; and
// lenient helpers for decoding the loosely typed values these APIs send.
//
// The Caller exists so that each platform client only describes its
// endpoints and error bodies, while the rules that keep a credential safe
// (never in an error string, never sent to another host) and keep a sync
// bounded (attempts, total time, body size, pages) live in one place.
package platform
