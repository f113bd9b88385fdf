// Package agentkit speaks to the separate agent service that runs Omnify's
// EXTERNAL agents: it reads the service's catalog, starts runs there, and
// receives the progress the service reports back on a webhook.
//
// Both directions are signed the same way. A request carries
// X-Omnify-Timestamp (Unix seconds) and X-Omnify-Signature
// (`sha256=` and the hex HMAC-SHA256 of the timestamp, a dot and the body,
// keyed with OMNIFY_AGENTKIT_SECRET). A request whose timestamp is more
// than five minutes off, or whose signature does not match, is refused.
// Reports are idempotent on (executionId, sequence), so a replayed report
// changes nothing.
package agentkit

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The headers of a signed request.
const (
	HeaderTimestamp = "X-Omnify-Timestamp"
	HeaderSignature = "X-Omnify-Signature"
)

// Limits of what is read from the service and accepted from it.
const (
	// MaxSkew is how far a signed request's timestamp may be from now.
	MaxSkew = 5 * time.Minute
	// MaxCatalogBytes bounds the catalog response.
	MaxCatalogBytes = 1 << 20
	// MaxCatalogAgents bounds how many agents the catalog may offer.
	MaxCatalogAgents = 100
	// MaxReportBytes bounds one progress report's body.
	MaxReportBytes = 256 << 10
	// MaxMessageBytes bounds a report's message.
	MaxMessageBytes = 4 << 10
	// maxKeyBytes bounds an agent key.
	maxKeyBytes = 64
)

// Agent is one agent the service offers.
type Agent struct {
	// Key names the agent uniquely within the service, such as "churn-radar".
	Key string `json:"key"`
	// Name is shown to users.
	Name string `json:"name"`
	// Description says what the agent does.
	Description string `json:"description"`
	// ParametersSchema is the JSON Schema of the agent's parameters.
	ParametersSchema map[string]any `json:"parametersSchema"`
}

// Run asks the service to run an agent for one execution.
type Run struct {
	// ExecutionID is Omnify's id of the execution; reports name it.
	ExecutionID string `json:"executionId"`
	// AgentKey is the agent to run.
	AgentKey string `json:"agentKey"`
	// OrganizationID is the organization the run is for.
	OrganizationID string `json:"organizationId"`
	// Parameters are the validated parameters.
	Parameters map[string]any `json:"parameters"`
	// CallbackURL is where the service reports progress.
	CallbackURL string `json:"callbackUrl"`
}

// Report is one step of progress the service reports for an execution.
type Report struct {
	// ExecutionID names the execution.
	ExecutionID string `json:"executionId"`
	// Sequence numbers the reports of one execution from 1.
	Sequence int `json:"sequence"`
	// Type is the event type, such as LOG, FINDING or SUCCEEDED.
	Type string `json:"type"`
	// Message is a human-readable line.
	Message string `json:"message"`
	// Data is any structured detail (a finding, the result).
	Data json.RawMessage `json:"data,omitempty"`
	// At is when it happened, at the service.
	At time.Time `json:"at"`
}

// ReportTypes are the event types the service may report.
var ReportTypes = []string{"STARTED", "STEP_STARTED", "LOG", "FINDING", "STEP_COMPLETED", "SUCCEEDED", "FAILED"}

// Sign returns the signature header value of body sent at ts.
func Sign(secret []byte, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(strconv.FormatInt(ts.Unix(), 10)))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Errors of Verify.
var (
	ErrStale        = errors.New("agentkit: the request's timestamp is missing or more than five minutes off")
	ErrBadSignature = errors.New("agentkit: the request's signature does not match")
)

// Verify checks the timestamp and signature headers of body at now.
func Verify(secret []byte, now time.Time, timestamp, signature string, body []byte) error {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || len(timestamp) > 12 {
		return ErrStale
	}
	ts := time.Unix(sec, 0)
	if d := now.Sub(ts); d > MaxSkew || d < -MaxSkew {
		return ErrStale
	}
	if !hmac.Equal([]byte(signature), []byte(Sign(secret, ts, body))) {
		return ErrBadSignature
	}
	return nil
}

// Client calls the agent service.
type Client struct {
	base   *url.URL
	secret []byte
	http   *http.Client
	now    func() time.Time
}

// Options configure a Client.
type Options struct {
	// HTTP is the client to use; nil means one with a 10-second timeout.
	HTTP *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// NewClient returns a client of the service at baseURL, signing with secret.
func NewClient(baseURL string, secret []byte, o Options) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("agentkit: %q is not an http(s) URL", baseURL)
	}
	if len(secret) == 0 {
		return nil, errors.New("agentkit: a secret is required")
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Client{base: u, secret: secret, http: o.HTTP, now: o.Now}, nil
}

// Catalog reads the service's agents: GET {url}/agents. Entries without a
// valid key or name, or beyond MaxCatalogAgents, are an error, so a broken
// catalog never replaces a good one.
func (c *Client) Catalog(ctx context.Context) ([]Agent, error) {
	resp, err := c.do(ctx, http.MethodGet, "/agents", nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxCatalogBytes+1))
	if err != nil {
		return nil, fmt.Errorf("agentkit: read the catalog: %w", err)
	}
	if len(raw) > MaxCatalogBytes {
		return nil, fmt.Errorf("agentkit: the catalog is larger than %d bytes", MaxCatalogBytes)
	}
	var agents []Agent
	if err := json.Unmarshal(raw, &agents); err != nil {
		return nil, fmt.Errorf("agentkit: the catalog is not a JSON list of agents: %w", err)
	}
	if len(agents) > MaxCatalogAgents {
		return nil, fmt.Errorf("agentkit: the catalog offers %d agents, more than %d", len(agents), MaxCatalogAgents)
	}
	seen := map[string]bool{}
	for i, a := range agents {
		if !validKey(a.Key) || strings.TrimSpace(a.Name) == "" || seen[a.Key] {
			return nil, fmt.Errorf("agentkit: catalog entry %d has a missing, malformed or repeated key, or no name", i)
		}
		seen[a.Key] = true
	}
	return agents, nil
}

// StartRun asks the service to run an agent: POST {url}/runs. The service
// answers at once (2xx) and reports progress on the callback.
func (c *Client) StartRun(ctx context.Context, r Run) error {
	body, err := json.Marshal(r)
	if err != nil {
		return err
	}
	resp, err := c.do(ctx, http.MethodPost, "/runs", body)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return nil
}

// do sends a signed request and returns a 2xx response.
func (c *Client) do(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	u := *c.base
	u.Path += path
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	now := c.now()
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(HeaderSignature, Sign(c.secret, now, body))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// The error names the URL, which is ours, not a secret.
		return nil, fmt.Errorf("agentkit: %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		resp.Body.Close()
		return nil, fmt.Errorf("agentkit: %s %s: HTTP %d", method, path, resp.StatusCode)
	}
	return resp, nil
}

// validKey reports whether k is a short key of lower-case letters, digits
// and dashes.
func validKey(k string) bool {
	if k == "" || len(k) > maxKeyBytes {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}
