package httpserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func builtApp() fstest.MapFS {
	return fstest.MapFS{
		"index.html":              {Data: []byte(`<!doctype html><title>Omnify</title><script type="module" src="/assets/index-abc123.js"></script>`)},
		"playground.html":         {Data: []byte(`<!doctype html><title>Omnify GraphQL playground</title>`)},
		"assets/index-abc123.js":  {Data: []byte(`console.log(1)`)},
		"assets/index-abc123.css": {Data: []byte(`body{}`)},
		"favicon.svg":             {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
	}
}

func get(t *testing.T, h http.Handler, method, target string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	req.Host = "shop.example:8080"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// checkHTMLHeaders asserts what every HTML document of the app carries.
func checkHTMLHeaders(t *testing.T, rec *httptest.ResponseRecorder, what string) {
	t.Helper()
	if cc := rec.Header().Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("%s: Cache-Control %q, want no-cache", what, cc)
	}
	csp := rec.Header().Get("Content-Security-Policy")
	for _, want := range []string{
		"default-src 'self'", "script-src 'self'", "connect-src 'self' ws://shop.example:8080 wss://shop.example:8080",
		"img-src 'self' data:", "frame-ancestors 'none'", "base-uri 'self'", "object-src 'none'",
	} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: Content-Security-Policy %q lacks %q", what, csp, want)
		}
	}
	if strings.Contains(csp, "http:") || strings.Contains(csp, "https:") || strings.Contains(csp, "*") {
		t.Errorf("%s: Content-Security-Policy %q allows another origin", what, csp)
	}
	if strings.Contains(strings.SplitN(strings.SplitN(csp, "script-src", 2)[1], ";", 2)[0], "unsafe") {
		t.Errorf("%s: scripts may run inline: %q", what, csp)
	}
	if got := rec.Header().Get("X-Frame-Options"); got != "DENY" {
		t.Errorf("%s: X-Frame-Options %q", what, got)
	}
}

func TestWebAppHTMLHeadersAndSPAFallback(t *testing.T) {
	h := webApp(builtApp())
	for _, target := range []string{"/", "/dashboard", "/agents/executions/QWdlbnQ6MQ", "/settings?tab=keys"} {
		rec := get(t, h, http.MethodGet, target)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "<title>Omnify</title>") {
			t.Fatalf("GET %s: %d %q, want index.html", target, rec.Code, rec.Body.String())
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("GET %s: Content-Type %q", target, ct)
		}
		checkHTMLHeaders(t, rec, "GET "+target)
	}
	rec := get(t, h, http.MethodGet, "/playground.html")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /playground.html: %d", rec.Code)
	}
	checkHTMLHeaders(t, rec, "GET /playground.html")
}

func TestWebAppAssetsAreImmutableAndMissingFilesAre404(t *testing.T) {
	h := webApp(builtApp())
	rec := get(t, h, http.MethodGet, "/assets/index-abc123.js")
	if rec.Code != http.StatusOK || rec.Body.String() != "console.log(1)" {
		t.Fatalf("asset: %d %q", rec.Code, rec.Body.String())
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("asset Cache-Control %q", cc)
	}
	if csp := rec.Header().Get("Content-Security-Policy"); csp != "" {
		t.Errorf("asset carries a page's policy: %q", csp)
	}
	// A file name that is not there is a 404, not the app: a stale hashed
	// asset must not come back as HTML.
	for _, target := range []string{"/assets/index-old.js", "/missing.png"} {
		if rec := get(t, h, http.MethodGet, target); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", target, rec.Code)
		}
	}
	if rec := get(t, h, http.MethodPost, "/dashboard"); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /dashboard: %d, want 405", rec.Code)
	}
}

func TestWebAppNotBuilt(t *testing.T) {
	h := webApp(fstest.MapFS{".gitkeep": {}})
	rec := get(t, h, http.MethodGet, "/")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "not built") {
		t.Fatalf("GET /: %d %q", rec.Code, rec.Body.String())
	}
	checkHTMLHeaders(t, rec, "not built page")
	if rec := get(t, h, http.MethodGet, "/dashboard"); rec.Code != http.StatusNotFound {
		t.Errorf("GET /dashboard without the app: %d, want 404", rec.Code)
	}
}

func TestPlaygroundPageHeaders(t *testing.T) {
	rec := get(t, htmlPage([]byte("<!doctype html><title>Omnify GraphQL playground</title>")), http.MethodGet, "/playground")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "playground") {
		t.Fatalf("playground: %d", rec.Code)
	}
	checkHTMLHeaders(t, rec, "playground")
}

func TestContentSecurityPolicyIgnoresAStrangeHost(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Host = "evil.example; script-src *"
	csp := contentSecurityPolicy(req)
	if strings.Contains(csp, "evil") || !strings.Contains(csp, "connect-src 'self';") {
		t.Fatalf("policy %q", csp)
	}
}
