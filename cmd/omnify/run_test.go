package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantUsage  bool
		wantOutput string
	}{
		{name: "version", args: []string{"omnify", "version"}, wantOutput: "omnify dev"},
		{name: "help", args: []string{"omnify", "help"}, wantOutput: "usage: omnify"},
		{name: "unknown command", args: []string{"omnify", "launch"}, wantUsage: true, wantOutput: `unknown command "launch"`},
		{name: "invalid environment", args: []string{"omnify", "serve"}, env: map[string]string{"OMNIFY_MAX_QUERY_DEPTH": "deep"}, wantUsage: true, wantOutput: "OMNIFY_MAX_QUERY_DEPTH"},
		{name: "invalid role flag", args: []string{"omnify", "serve", "--role=everything"}, wantUsage: true, wantOutput: "--role"},
		{name: "unknown flag", args: []string{"omnify", "--port=1"}, wantUsage: true, wantOutput: "flag provided but not defined"},
		{name: "API role without NATS", args: []string{"omnify", "serve", "--role=api"}, wantUsage: true, wantOutput: "OMNIFY_NATS_URL: is required with role \"api\""},
		{name: "worker role without NATS", args: []string{"omnify"}, env: map[string]string{"OMNIFY_ROLE": "worker"}, wantUsage: true, wantOutput: "OMNIFY_NATS_URL: is required with role \"worker\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, func(k string) string { return tt.env[k] }, &stdout, &stderr)
			var ue *usageError
			if tt.wantUsage != errors.As(err, &ue) {
				t.Fatalf("err = %v, want usage error: %v", err, tt.wantUsage)
			}
			all := stdout.String() + stderr.String()
			if err != nil {
				all += err.Error()
			}
			if !strings.Contains(all, tt.wantOutput) {
				t.Fatalf("output %q lacks %q", all, tt.wantOutput)
			}
		})
	}
}
