//go:build !race

package app_test

// raceEnabled is true when the race detector instruments the test binary.
const raceEnabled = false
