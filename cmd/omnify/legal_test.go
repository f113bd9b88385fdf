package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLegalPublish(t *testing.T) {
	dir := t.TempDir()
	env := func(k string) string {
		if k == "OMNIFY_DATA_DIR" {
			return dir
		}
		return ""
	}
	write := func(name, content string) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	publish := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), append([]string{"omnify", "legal", "publish"}, args...), env, &out, &errOut)
		return out.String() + errOut.String(), err
	}

	v2 := write("terms-v2.md", "# Terms\n\nThe second version.\n")
	tests := []struct {
		name      string
		args      []string
		wantErr   string
		wantUsage bool
	}{
		{"missing --file", []string{"--kind", "TERMS_OF_SERVICE", "--title", "T"}, "--file is required", true},
		{"file that does not exist", []string{"--kind", "TERMS_OF_SERVICE", "--title", "T", "--file", filepath.Join(dir, "nope.md")}, "no such file", false},
		{"unknown kind", []string{"--kind", "COOKIE_POLICY", "--title", "T", "--file", v2}, "--kind", true},
		{"empty body", []string{"--kind", "TERMS_OF_SERVICE", "--title", "T", "--file", write("empty.md", "  \n\n")}, "nothing was published", false},
		{"existing version number", []string{"--title", "T", "--file", write("v1.md", "---\nkind: TERMS_OF_SERVICE\nversion: 1\n---\nAgain.\n")}, "version 1 of TERMS_OF_SERVICE already exists", false},
		{"kind differs from the header", []string{"--kind", "PRIVACY_POLICY", "--title", "T", "--file", write("h.md", "---\nkind: TERMS_OF_SERVICE\n---\nText.\n")}, "does not match", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := publish(tt.args...)
			var ue *usageError
			if err == nil || !strings.Contains(err.Error()+out, tt.wantErr) || tt.wantUsage != asUsage(err, &ue) {
				t.Fatalf("err %v (usage %v), output %q; want %q", err, asUsage(err, &ue), out, tt.wantErr)
			}
		})
	}

	out, err := publish("--kind", "terms_of_service", "--title", "Omnify Terms of Service", "--file", v2)
	if err != nil || !strings.Contains(out, "Published TERMS_OF_SERVICE version 2") {
		t.Fatalf("publish: %v %q", err, out)
	}
	// The refused attempts published nothing: the next version is 3.
	out, err = publish("--title", "T3", "--file", write("v3.md", "---\nkind: TERMS_OF_SERVICE\nversion: 3\n---\nThird.\n"))
	if err != nil || !strings.Contains(out, "version 3") {
		t.Fatalf("publish v3: %v %q", err, out)
	}
}

func asUsage(err error, ue **usageError) bool {
	if err == nil {
		return false
	}
	e, ok := err.(*usageError)
	*ue = e
	return ok
}

func TestRollupsRebuild(t *testing.T) {
	dir := t.TempDir()
	env := func(k string) string {
		if k == "OMNIFY_DATA_DIR" {
			return dir
		}
		return ""
	}
	rebuild := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), append([]string{"omnify", "rollups"}, args...), env, &out, &errOut)
		return out.String() + errOut.String(), err
	}
	var ue *usageError
	for _, args := range [][]string{nil, {"refresh"}, {"rebuild", "--batch", "0"}, {"rebuild", "--nope"}} {
		if out, err := rebuild(args...); err == nil || !asUsage(err, &ue) {
			t.Errorf("rollups %v: %v %q; want a usage error", args, err, out)
		}
	}
	for range 2 {
		out, err := rebuild("rebuild", "--batch", "10")
		if err != nil || !strings.Contains(out, "Rebuilt the read models of 0 organizations.") {
			t.Fatalf("rebuild: %v %q", err, out)
		}
	}
}
