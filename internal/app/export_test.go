package app

import (
	"testing"

	"github.com/omnify/bff/internal/agents"
)

// UseBuiltInAnalyzers makes the apps a test starts run the built-in
// analyzers instead of the tests' stand-ins, until the test ends.
func UseBuiltInAnalyzers(t *testing.T) {
	saved := testAnalyzers
	testAnalyzers = nil
	t.Cleanup(func() { testAnalyzers = saved })
}

// UseAnalyzers makes the apps a test starts run analyzers instead of the
// tests' stand-ins, until the test ends.
func UseAnalyzers(t *testing.T, analyzers map[string]agents.Analyzer) {
	saved := testAnalyzers
	testAnalyzers = func() map[string]agents.Analyzer { return analyzers }
	t.Cleanup(func() { testAnalyzers = saved })
}
