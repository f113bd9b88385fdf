//go:build race

package integrations

// raceEnabled is true when the race detector instruments the test binary,
// which also instruments the embedded database and slows it tenfold.
const raceEnabled = true
