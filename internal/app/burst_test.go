package app_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/app/apptest"
	"github.com/omnify/bff/internal/config"
)

// The tests here send real bursts of concurrent requests at each limit, then
// check the limit at its edge and one past it.

const burst = 150

// concurrently runs do n times at once and counts the error codes it
// returns ("" for success).
func concurrently(n int, do func(i int) string) map[string]int {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		codes = map[string]int{}
		start = make(chan struct{})
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			code := do(i)
			mu.Lock()
			codes[code]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return codes
}

func changePassword(t *testing.T, c *apptest.Client, current, next string) apptest.Response {
	return c.Do(t, `mutation($i: ChangePasswordInput!) { changePassword(input: $i) { otherSessionsEnded } }`,
		map[string]any{"i": map[string]any{"currentPassword": current, "newPassword": next}})
}

// checkBurst asserts that a burst was either evaluated (UNAUTHENTICATED)
// or refused (RATE_LIMITED), at most limit evaluated, and returns how many were.
func checkBurst(t *testing.T, codes map[string]int, limit int) int {
	t.Helper()
	evaluated := codes["UNAUTHENTICATED"]
	if evaluated+codes["RATE_LIMITED"] != burst || evaluated > limit {
		t.Fatalf("burst of %d: %v; want at most %d UNAUTHENTICATED and the rest RATE_LIMITED", burst, codes, limit)
	}
	return evaluated
}

func TestLoginBurstForOneEmailEvaluatesAtMostTheLimit(t *testing.T) {
	env := apptest.Start(t, dbs)
	carol := signUp(t, env, "carol@example.com", "Carol Co")

	evaluated := checkBurst(t, concurrently(burst, func(i int) string {
		return logInAs(t, env, carol.email, fmt.Sprintf("wrong password %d", i)).Code()
	}), 5)
	if n := strings.Count(env.Logs.String(), `msg="login failed"`); n != evaluated {
		t.Fatalf("%d passwords were checked, %d reported as evaluated", n, evaluated)
	}
	// The edge: failures up to the fifth are evaluated; the sixth attempt is
	// refused even with the right password.
	for i := evaluated; i < 5; i++ {
		if r := logInAs(t, env, carol.email, "wrong password!"); r.Code() != "UNAUTHENTICATED" {
			t.Fatalf("failure %d of 5: %+v", i+1, r.Errors)
		}
	}
	if r := logInAs(t, env, carol.email, carol.pass); r.Code() != "RATE_LIMITED" {
		t.Fatalf("sixth attempt: %+v", r.Errors)
	}
}

// Each process turns away a burst it would refuse anyway before asking the
// database; across replicas only the database's count holds the limit.
func TestLoginBurstAcrossReplicasEvaluatesAtMostTheLimit(t *testing.T) {
	name := dbs.DatabaseName(t)
	shared := func(c *config.Config) { c.MongoDatabase = name }
	replicas := []*apptest.Env{apptest.Start(t, dbs, shared), apptest.Start(t, dbs, shared), apptest.Start(t, dbs, shared)}
	carol := signUp(t, replicas[0], "carol@example.com", "Carol Co")

	evaluated := checkBurst(t, concurrently(burst, func(i int) string {
		return logInAs(t, replicas[i%len(replicas)], carol.email, fmt.Sprintf("wrong password %d", i)).Code()
	}), 5)
	for i := evaluated; i < 5; i++ {
		if r := logInAs(t, replicas[i%len(replicas)], carol.email, "wrong password!"); r.Code() != "UNAUTHENTICATED" {
			t.Fatalf("failure %d of 5: %+v", i+1, r.Errors)
		}
	}
	for _, env := range replicas {
		if r := logInAs(t, env, carol.email, carol.pass); r.Code() != "RATE_LIMITED" {
			t.Fatalf("sixth attempt: %+v", r.Errors)
		}
	}
}

func TestLoginBurstFromOneAddressEvaluatesAtMostTheLimit(t *testing.T) {
	env := apptest.Start(t, dbs)
	erin := signUp(t, env, "erin@example.com", "Erin Co")

	// A different email each time, so that only the address's limit applies.
	evaluated := checkBurst(t, concurrently(burst, func(i int) string {
		return logInAs(t, env, fmt.Sprintf("guess%d@example.com", i), "wrong password!").Code()
	}), 20)
	for i := evaluated; i < 20; i++ {
		if r := logInAs(t, env, fmt.Sprintf("more%d@example.com", i), "wrong password!"); r.Code() != "UNAUTHENTICATED" {
			t.Fatalf("failure %d of 20: %+v", i+1, r.Errors)
		}
	}
	if r := logInAs(t, env, erin.email, erin.pass); r.Code() != "RATE_LIMITED" {
		t.Fatalf("21st attempt from the address: %+v", r.Errors)
	}
}

func TestChangePasswordSharesTheLoginThrottle(t *testing.T) {
	t.Run("a burst of wrong current passwords", func(t *testing.T) {
		env := apptest.Start(t, dbs)
		dana := signUp(t, env, "dana@example.com", "Dana Co")
		evaluated := checkBurst(t, concurrently(burst, func(i int) string {
			return changePassword(t, dana.c, fmt.Sprintf("wrong password %d", i), "a brand new password").Code()
		}), 5)
		for i := evaluated; i < 5; i++ {
			if r := changePassword(t, dana.c, "wrong password!", "a brand new password"); r.Code() != "UNAUTHENTICATED" {
				t.Fatalf("failure %d of 5: %+v", i+1, r.Errors)
			}
		}
		if r := changePassword(t, dana.c, dana.pass, "a brand new password"); r.Code() != "RATE_LIMITED" {
			t.Fatalf("sixth attempt with the right current password: %+v", r.Errors)
		}
		if r := logInAs(t, env, dana.email, dana.pass); r.Code() != "RATE_LIMITED" {
			t.Fatalf("login after five wrong current passwords: %+v", r.Errors)
		}
	})
	t.Run("failures of both count together", func(t *testing.T) {
		env := apptest.Start(t, dbs)
		dana := signUp(t, env, "dana@example.com", "Dana Co")
		for range 3 {
			if r := logInAs(t, env, dana.email, "wrong password!"); r.Code() != "UNAUTHENTICATED" {
				t.Fatalf("wrong login: %+v", r.Errors)
			}
		}
		for range 2 {
			if r := changePassword(t, dana.c, "wrong password!", "a brand new password"); r.Code() != "UNAUTHENTICATED" {
				t.Fatalf("wrong current password: %+v", r.Errors)
			}
		}
		if r := changePassword(t, dana.c, dana.pass, "a brand new password"); r.Code() != "RATE_LIMITED" {
			t.Fatalf("sixth attempt: %+v", r.Errors)
		}
	})
}

func TestAPIKeyLimitHoldsUnderABurst(t *testing.T) {
	env := apptest.Start(t, dbs)
	alice := signUp(t, env, "alice@example.com", "Acme")
	create := func(name string) string {
		return alice.c.Do(t, `mutation($n: String!) { createApiKey(input: {name: $n, scope: READ}) { apiKey { id } } }`,
			map[string]any{"n": name}).Code()
	}
	live := func() int {
		n, err := env.Database(t).Collection("api_keys").CountDocuments(context.Background(),
			bson.M{"revokedAt": bson.M{"$exists": false}})
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	for i := range 95 {
		if code := create(fmt.Sprintf("key %d", i)); code != "" {
			t.Fatalf("key %d: %s", i, code)
		}
	}

	codes := concurrently(30, func(i int) string { return create(fmt.Sprintf("burst %d", i)) })
	n := live()
	if n > 100 || codes[""] != n-95 || codes[""]+codes["CONFLICT"] != 30 {
		t.Fatalf("burst of 30 at 95 keys: %v, %d live keys; want at most 100, the rest CONFLICT", codes, n)
	}
	// The edge: keys up to the 100th are created, the 101st is refused.
	for i := n; i < 100; i++ {
		if code := create(fmt.Sprintf("top up %d", i)); code != "" {
			t.Fatalf("key %d of 100: %s", i+1, code)
		}
	}
	if code := create("one too many"); code != "CONFLICT" {
		t.Fatalf("101st key: %q", code)
	}
	if n := live(); n != 100 {
		t.Fatalf("%d live keys, want 100", n)
	}
}
