package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"time"
)

// gqlClient sends GraphQL over HTTP POST as one user, keeping their
// session cookie.
type gqlClient struct {
	base string
	http *http.Client
}

func newGQLClient(base string) *gqlClient {
	jar, _ := cookiejar.New(nil)
	return &gqlClient{base: strings.TrimRight(base, "/"), http: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

type gqlError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

// do runs one operation and decodes its data into dst; any GraphQL error
// is an error.
func (c *gqlClient) do(ctx context.Context, query string, vars map[string]any, dst any) error {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return fmt.Errorf("HTTP %d: %w", resp.StatusCode, err)
	}
	if len(out.Errors) > 0 {
		return fmt.Errorf("%s (%v)", out.Errors[0].Message, out.Errors[0].Extensions["code"])
	}
	if dst != nil {
		return json.Unmarshal(out.Data, dst)
	}
	return nil
}

// cookieHeader is the Cookie header the user's browser would send to /graphql.
func (c *gqlClient) cookieHeader() string {
	req, _ := http.NewRequest(http.MethodGet, c.base+"/graphql", nil)
	var parts []string
	for _, ck := range c.http.Jar.Cookies(req.URL) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	return strings.Join(parts, "; ")
}

// signUp creates a user and their organization, accepting the current
// legal documents, and keeps the session cookie.
func (c *gqlClient) signUp(ctx context.Context) error {
	var legal struct{ LegalDocuments []struct{ ID string } }
	if err := c.do(ctx, `{ legalDocuments { id } }`, nil, &legal); err != nil {
		return fmt.Errorf("legal documents: %w", err)
	}
	ids := []string{}
	for _, d := range legal.LegalDocuments {
		ids = append(ids, d.ID)
	}
	stamp := time.Now().UnixNano()
	err := c.do(ctx, `mutation($input: SignUpInput!) { signUp(input: $input) { viewer { role } } }`, map[string]any{"input": map[string]any{
		"email": fmt.Sprintf("load-%d@example.com", stamp), "password": fmt.Sprintf("load test %d", stamp),
		"name": "Load", "organizationName": fmt.Sprintf("Load %d", stamp), "acceptedLegalDocumentIds": ids,
	}}, nil)
	if err != nil {
		return fmt.Errorf("sign up: %w", err)
	}
	if c.cookieHeader() == "" {
		return fmt.Errorf("sign up set no session cookie")
	}
	return nil
}

// createAPIKey creates a READ key and returns its secret.
func (c *gqlClient) createAPIKey(ctx context.Context) (string, error) {
	var out struct{ CreateAPIKey struct{ Secret string } }
	err := c.do(ctx, `mutation { createApiKey: createApiKey(input: {name: "load", scope: READ}) { secret } }`, nil, &struct {
		CreateAPIKey *struct{ Secret string } `json:"createApiKey"`
	}{&out.CreateAPIKey})
	if err != nil {
		return "", fmt.Errorf("create API key: %w", err)
	}
	return out.CreateAPIKey.Secret, nil
}
