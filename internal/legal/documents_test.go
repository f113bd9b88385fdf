package legal

import (
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
)

func TestRequiredFor(t *testing.T) {
	tests := []struct {
		kind Kind
		role authz.Role
		want bool
	}{
		{TermsOfService, authz.RoleOwner, true},
		{TermsOfService, authz.RoleViewer, true},
		{PrivacyPolicy, authz.RoleMember, true},
		{PrivacyPolicy, authz.RoleAdmin, true},
		{DataProcessingAgreement, authz.RoleOwner, true},
		{DataProcessingAgreement, authz.RoleAdmin, false}, // an OWNER signs it for the organization
		{DataProcessingAgreement, authz.RoleMember, false},
		{DataProcessingAgreement, authz.RoleViewer, false},
		{DataProcessingAgreement, "", false},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+" for "+string(tt.role), func(t *testing.T) {
			if got := (Document{Kind: tt.kind}).RequiredFor(tt.role); got != tt.want {
				t.Errorf("RequiredFor(%q) = %v, want %v", tt.role, got, tt.want)
			}
		})
	}
}

func TestParseDocument(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		wantHeader Header
		wantBody   string
		wantErr    string
	}{
		{
			name:       "full header",
			in:         "---\nkind: TERMS_OF_SERVICE\nversion: 3\ntitle: Omnify Terms\n---\n# Terms\n\nText.\n",
			wantHeader: Header{Kind: TermsOfService, Version: 3, Title: "Omnify Terms"},
			wantBody:   "# Terms\n\nText.\n",
		},
		{
			name:     "no header is all body",
			in:       "# Terms\n\nText.",
			wantBody: "# Terms\n\nText.\n",
		},
		{
			name:       "partial header with quotes, CRLF and blank lines",
			in:         "---\r\ntitle: \"Privacy: our policy\"\r\n\r\n---\r\n\r\n\r\n# Privacy\r\n  \r\n",
			wantHeader: Header{Title: "Privacy: our policy"},
			wantBody:   "# Privacy\n",
		},
		{
			name:       "byte order mark",
			in:         "\uFEFF---\nkind: PRIVACY_POLICY\n---\nBody\n",
			wantHeader: Header{Kind: PrivacyPolicy},
			wantBody:   "Body\n",
		},
		{name: "unclosed header", in: "---\nkind: TERMS_OF_SERVICE\n# Terms\n", wantErr: "not closed"},
		{name: "unknown kind", in: "---\nkind: COOKIES\n---\nx", wantErr: `line 2: unknown kind "COOKIES"`},
		{name: "version zero", in: "---\nversion: 0\n---\nx", wantErr: "line 2: version must be a positive integer"},
		{name: "version not a number", in: "---\nversion: two\n---\nx", wantErr: "line 2: version must be a positive integer"},
		{name: "empty title", in: "---\ntitle:\n---\nx", wantErr: "line 2: the title is empty"},
		{name: "unknown key", in: "---\nkind: PRIVACY_POLICY\nauthor: me\n---\nx", wantErr: `line 3: unknown header key "author"`},
		{name: "repeated key", in: "---\ntitle: A\ntitle: B\n---\nx", wantErr: `line 3: "title" appears twice`},
		{name: "line without colon", in: "---\njust text\n---\nx", wantErr: "line 2: want"},
		{name: "empty body after header", in: "---\ntitle: A\n---\n \n\n", wantErr: "body is empty"},
		{name: "empty file", in: "", wantErr: "body is empty"},
		{name: "invalid UTF-8", in: "abc\xff", wantErr: "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, body, err := ParseDocument([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseDocument = %+v, %q, want error containing %q", h, body, tt.wantErr)
				}
				if apperr.CodeOf(err) != apperr.BadUserInput || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want BAD_USER_INPUT containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDocument: %v", err)
			}
			if h != tt.wantHeader || body != tt.wantBody {
				t.Errorf("ParseDocument = %+v, %q, want %+v, %q", h, body, tt.wantHeader, tt.wantBody)
			}
		})
	}
}

func TestShippedDocumentsAreComplete(t *testing.T) {
	docs, err := shippedDocuments()
	if err != nil {
		t.Fatalf("shippedDocuments: %v", err)
	}
	for _, k := range Kinds() {
		t.Run(string(k), func(t *testing.T) {
			var found *shippedDocument
			for i := range docs {
				if docs[i].Kind == k && docs[i].Version == 1 {
					found = &docs[i]
				}
			}
			if found == nil {
				t.Fatalf("no version 1 of %s under documents/", k)
			}
			if n := len(strings.Fields(found.body)); n < 300 || n > 1200 {
				t.Errorf("%s has %d words, want a real document", found.file, n)
			}
			if !strings.Contains(found.body, "Omnify, Inc.") {
				t.Errorf("%s does not name Omnify, Inc.", found.file)
			}
			for _, p := range []string{"[COMPANY]", "TODO", "TBD", "lorem", "{{"} {
				if strings.Contains(found.body, p) {
					t.Errorf("%s contains the placeholder %q", found.file, p)
				}
			}
		})
	}
}

func TestEnsureShipped(t *testing.T) {
	t.Run("publishes version 1 of each kind once when run twice", func(t *testing.T) {
		e := newEnv(t, false)
		for i := range 2 {
			if err := e.svc.EnsureShipped(t.Context()); err != nil {
				t.Fatalf("EnsureShipped #%d: %v", i+1, err)
			}
		}
		if n := e.count(t, documentsCollection); n != 3 {
			t.Fatalf("%d documents, want 3", n)
		}
		shipped, err := shippedDocuments()
		if err != nil {
			t.Fatal(err)
		}
		for _, sd := range shipped {
			d, err := e.svc.Document(t.Context(), sd.Kind, sd.Version)
			if err != nil {
				t.Fatalf("Document(%s, %d): %v", sd.Kind, sd.Version, err)
			}
			if d.Title != sd.Title || d.Body != sd.body || d.BodySHA256 != bodyHash(sd.body) || len(d.BodySHA256) != 64 {
				t.Errorf("%s: published %q (sha256 %s), want the shipped file", sd.file, d.Title, d.BodySHA256)
			}
			if d.PublishedAt.Location() != time.UTC || d.PublishedAt.Before(epoch()) {
				t.Errorf("%s: PublishedAt = %v, want UTC from the clock", sd.file, d.PublishedAt)
			}
		}
	})

	t.Run("fails when a published version differs from the shipped file", func(t *testing.T) {
		e := newEnv(t, false)
		_, err := e.db.Collection(documentsCollection).InsertOne(t.Context(), Document{
			ID: bson.NewObjectID(), Kind: TermsOfService, Version: 1, Title: "Old",
			Body: "Old text\n", BodySHA256: bodyHash("Old text\n"), PublishedAt: epoch(),
		})
		if err != nil {
			t.Fatal(err)
		}
		err = e.svc.EnsureShipped(t.Context())
		if err == nil || !strings.Contains(err.Error(), "immutable") || !strings.Contains(err.Error(), "terms-of-service-v1.md") {
			t.Fatalf("EnsureShipped = %v, want an error about the changed terms", err)
		}
	})
}

func TestEnsureShippedConcurrently(t *testing.T) {
	db, _ := dbs.NewDB(t)
	const replicas = 8
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() {
			errs[i] = New(NewStore(db), Options{Now: fakeClock()}).EnsureShipped(t.Context())
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: EnsureShipped: %v", i, err)
		}
	}
	var docs []Document
	cur, err := db.Database.Collection(documentsCollection).Find(t.Context(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(t.Context(), &docs); err != nil {
		t.Fatal(err)
	}
	type key struct {
		kind    Kind
		version int
	}
	perVersion := map[key]int{}
	for _, d := range docs {
		perVersion[key{d.Kind, d.Version}]++
	}
	for _, k := range Kinds() {
		if n := perVersion[key{k, 1}]; n != 1 {
			t.Errorf("%d documents for %s version 1, want 1", n, k)
		}
	}
	if len(docs) != 3 {
		t.Errorf("%d documents, want 3", len(docs))
	}
}

func TestPublish(t *testing.T) {
	t.Run("assigns the next version per kind", func(t *testing.T) {
		e := newEnv(t, true)
		d, err := e.svc.Publish(t.Context(), TermsOfService, "  Terms v2  ", "# Terms\r\n\r\nNew text.  \n\n")
		if err != nil {
			t.Fatalf("Publish: %v", err)
		}
		if d.Version != 2 || d.Kind != TermsOfService || d.Title != "Terms v2" || d.Body != "# Terms\n\nNew text.\n" {
			t.Errorf("Publish = %+v, want version 2 with trimmed title and normalized body", d)
		}
		if d.BodySHA256 != bodyHash(d.Body) || d.ID.IsZero() || d.PublishedAt.Location() != time.UTC {
			t.Errorf("Publish = %+v, want hash, id and UTC time", d)
		}
		got, err := e.svc.Document(t.Context(), TermsOfService, 2)
		if err != nil {
			t.Fatalf("Document: %v", err)
		}
		if got != d {
			t.Errorf("stored %+v, want %+v", got, d)
		}
		first := e.publish(t, DataProcessingAgreement, "DPA 2")
		second := e.publish(t, DataProcessingAgreement, "DPA 3")
		if first.Version != 2 || second.Version != 3 {
			t.Errorf("DPA versions %d, %d, want 2, 3", first.Version, second.Version)
		}
	})

	t.Run("starts at version 1 for a kind never published", func(t *testing.T) {
		e := newEnv(t, false)
		if d := e.publish(t, PrivacyPolicy, "Privacy"); d.Version != 1 {
			t.Errorf("version %d, want 1", d.Version)
		}
	})

	invalid := []struct {
		name        string
		kind        Kind
		title, body string
		field       string
	}{
		{"unknown kind", "COOKIE_POLICY", "Cookies", "Text", "kind"},
		{"empty kind", "", "Terms", "Text", "kind"},
		{"blank title", TermsOfService, " \t ", "Text", "title"},
		{"title over the limit", TermsOfService, strings.Repeat("x", MaxTitleLength+1), "Text", "title"},
		{"title on two lines", TermsOfService, "a\nb", "Text", "title"},
		{"empty body", TermsOfService, "Terms", "", "body"},
		{"whitespace body", TermsOfService, "Terms", " \n\t\r\n ", "body"},
		{"body over the limit", TermsOfService, "Terms", strings.Repeat("x", MaxBodyBytes+1), "body"},
	}
	for _, tt := range invalid {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			e := newEnv(t, false)
			_, err := e.svc.Publish(t.Context(), tt.kind, tt.title, tt.body)
			wantAppErr(t, err, apperr.BadUserInput, tt.field)
			if n := e.count(t, documentsCollection); n != 0 {
				t.Errorf("%d documents written, want 0", n)
			}
		})
	}
}

func TestPublishConcurrently(t *testing.T) {
	e := newEnv(t, true)
	const publishers = 4
	versions := make([]int, publishers)
	errs := make([]error, publishers)
	var wg sync.WaitGroup
	for i := range publishers {
		wg.Go(func() {
			svc := New(NewStore(e.mdb), Options{Now: fakeClock()})
			d, err := svc.Publish(t.Context(), PrivacyPolicy, "Privacy", strings.Repeat("p", i+1))
			versions[i], errs[i] = d.Version, err
		})
	}
	wg.Wait()
	seen := map[int]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("publisher %d: %v", i, err)
		}
		if seen[versions[i]] {
			t.Errorf("version %d assigned twice", versions[i])
		}
		seen[versions[i]] = true
	}
	for v := 2; v <= publishers+1; v++ {
		if !seen[v] {
			t.Errorf("version %d not assigned; got %v", v, versions)
		}
	}
}

func TestCurrent(t *testing.T) {
	t.Run("empty before anything is published", func(t *testing.T) {
		e := newEnv(t, false)
		docs, err := e.svc.Current(t.Context())
		if err != nil || len(docs) != 0 {
			t.Fatalf("Current = %v, %v, want none", docs, err)
		}
	})

	t.Run("highest version of each kind in kind order with bodies", func(t *testing.T) {
		e := newEnv(t, false)
		e.publish(t, DataProcessingAgreement, "DPA 1")
		e.publish(t, PrivacyPolicy, "Privacy 1")
		e.publish(t, TermsOfService, "Terms 1")
		e.publish(t, TermsOfService, "Terms 2")
		e.publish(t, PrivacyPolicy, "Privacy 2")
		e.publish(t, PrivacyPolicy, "Privacy 3")
		e.counter.Reset()
		docs, err := e.svc.Current(t.Context())
		if err != nil {
			t.Fatalf("Current: %v", err)
		}
		var got []string
		for _, d := range docs {
			got = append(got, strings.TrimSpace(d.Body))
		}
		want := []string{"Terms 2", "Privacy 3", "DPA 1"}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("Current bodies = %q, want %q", got, want)
		}
		if n := e.counter.Count("find", "aggregate"); n != 2 {
			t.Errorf("Current sent %d queries, want 2", n)
		}
	})
}

func TestDocument(t *testing.T) {
	e := newEnv(t, true)
	tests := []struct {
		name    string
		kind    Kind
		version int
		code    apperr.Code
	}{
		{"existing version", PrivacyPolicy, 1, ""},
		{"missing version", PrivacyPolicy, 2, apperr.NotFound},
		{"version zero", PrivacyPolicy, 0, apperr.NotFound},
		{"unknown kind", "EULA", 1, apperr.BadUserInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := e.svc.Document(t.Context(), tt.kind, tt.version)
			if tt.code == "" {
				if err != nil || d.Kind != tt.kind || d.Version != tt.version || d.Body == "" {
					t.Fatalf("Document = %+v, %v", d, err)
				}
				return
			}
			if got := apperr.CodeOf(err); got != tt.code {
				t.Fatalf("Document error = %v, want %s", err, tt.code)
			}
		})
	}
}

func TestDocumentsByIDs(t *testing.T) {
	e := newEnv(t, true)
	terms := e.current(t, TermsOfService)
	dpa := e.current(t, DataProcessingAgreement)
	missing := bson.NewObjectID()
	tests := []struct {
		name string
		ids  []bson.ObjectID
		want []bson.ObjectID
	}{
		{"in the order asked", []bson.ObjectID{dpa.ID, terms.ID}, []bson.ObjectID{dpa.ID, terms.ID}},
		{"unknown ids left out", []bson.ObjectID{missing, terms.ID}, []bson.ObjectID{terms.ID}},
		{"repeated ids repeated", []bson.ObjectID{terms.ID, terms.ID}, []bson.ObjectID{terms.ID, terms.ID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.counter.Reset()
			docs, err := e.svc.DocumentsByIDs(t.Context(), tt.ids)
			if err != nil {
				t.Fatalf("DocumentsByIDs: %v", err)
			}
			if len(docs) != len(tt.want) {
				t.Fatalf("got %d documents, want %d", len(docs), len(tt.want))
			}
			for i, d := range docs {
				if d.ID != tt.want[i] || d.Body == "" {
					t.Errorf("document %d = %s (body %d bytes), want %s with body", i, d.ID.Hex(), len(d.Body), tt.want[i].Hex())
				}
			}
			if n := e.counter.Count("find", "aggregate"); n != 1 {
				t.Errorf("sent %d queries, want 1", n)
			}
		})
	}
	t.Run("no ids no query", func(t *testing.T) {
		e.counter.Reset()
		docs, err := e.svc.DocumentsByIDs(t.Context(), nil)
		if err != nil || len(docs) != 0 || e.counter.Count() != 0 {
			t.Fatalf("DocumentsByIDs(nil) = %v, %v after %d commands", docs, err, e.counter.Count())
		}
	})
}
