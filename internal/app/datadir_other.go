//go:build !unix

package app

// lockDataDir locks nothing where file locks are not available.
func lockDataDir(string, bool) (func(), error) { return func() {}, nil }
