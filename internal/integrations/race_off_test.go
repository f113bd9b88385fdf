//go:build !race

package integrations

// raceEnabled is true when the race detector instruments the test binary.
const raceEnabled = false
