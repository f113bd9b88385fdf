package httpserver

import (
	"errors"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func metricsHandler(m *Metrics) http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

func isJSON(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mt), mediaJSON)
}

func setPageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
}

// setHTMLHeaders marks a response as one of the app's HTML documents: never
// served from a cache without asking again (a new build changes the hashed
// assets it names), and under a Content-Security-Policy that lets it load
// and connect to nothing but its own origin.
func setHTMLHeaders(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", contentSecurityPolicy(r))
}

// contentSecurityPolicy is the policy of the app's and the playground's
// pages. Scripts, styles, images and fonts come from the server itself; the
// component library and GraphiQL set styles at run time ('unsafe-inline'
// for styles only, never scripts), and GraphiQL's fonts are data: URLs in
// its style sheet. connect-src names the WebSocket of the host the page was
// asked from: browsers before CSP level 3 do not count ws: as 'self'.
func contentSecurityPolicy(r *http.Request) string {
	connect := "'self'"
	if host := r.Host; validHost(host) {
		connect += " ws://" + host + " wss://" + host
	}
	return "default-src 'self'; script-src 'self'; connect-src " + connect +
		"; img-src 'self' data:; font-src 'self' data:; style-src 'self' 'unsafe-inline'" +
		"; worker-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
}

// validHost reports whether host is a plain host[:port] that can be written
// into a header without changing its meaning.
func validHost(host string) bool {
	if host == "" || len(host) > 255 {
		return false
	}
	for _, c := range host {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.' || c == '-' || c == ':' || c == '[' || c == ']':
		default:
			return false
		}
	}
	return true
}

// htmlPage serves one HTML document.
func htmlPage(page []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setPageHeaders(w)
		setHTMLHeaders(w, r)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	})
}

// notBuilt is shown at / when the binary was built without the web app.
const notBuilt = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Omnify</title></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;line-height:1.5">
<h1>Omnify</h1>
<p>The web app is not built into this binary yet. The API is up:
send GraphQL to <a href="/graphql">/graphql</a> or explore it in the <a href="/playground">playground</a>.</p>
</body></html>
`

// webApp serves the built single-page app: files by path, and index.html for
// any other path without an extension, so client-side routes survive a reload.
func webApp(dist fs.FS) http.Handler {
	return getOnly(spa(dist))
}

// getOnly refuses methods other than GET and HEAD with 405.
func getOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeJSONError(w, http.StatusMethodNotAllowed, "method not allowed")
			return
		}
		h.ServeHTTP(w, r)
	})
}

func spa(dist fs.FS) http.Handler {
	hasIndex := false
	if dist != nil {
		if _, err := fs.Stat(dist, "index.html"); err == nil {
			hasIndex = true
		}
	}
	if !hasIndex {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/" {
				http.NotFound(w, r)
				return
			}
			htmlPage([]byte(notBuilt)).ServeHTTP(w, r)
		})
	}
	files := http.FileServerFS(dist)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setPageHeaders(w)
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if name == "" {
			name = "index.html"
		}
		if _, err := fs.Stat(dist, name); errors.Is(err, fs.ErrNotExist) {
			if path.Ext(name) != "" {
				http.NotFound(w, r)
				return
			}
			setHTMLHeaders(w, r)
			http.ServeFileFS(w, r, dist, "index.html")
			return
		}
		if path.Ext(name) == ".html" {
			setHTMLHeaders(w, r)
		}
		if strings.HasPrefix(name, "assets/") {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		}
		files.ServeHTTP(w, r)
	})
}
