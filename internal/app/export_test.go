package app

import "testing"

// UseBuiltInAnalyzers makes the apps a test starts run the built-in
// analyzers instead of the tests' stand-ins, until the test ends.
func UseBuiltInAnalyzers(t *testing.T) {
	saved := testAnalyzers
	testAnalyzers = nil
	t.Cleanup(func() { testAnalyzers = saved })
}
