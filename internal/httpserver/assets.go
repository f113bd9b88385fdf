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

// htmlPage serves one HTML document.
func htmlPage(page []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		setPageHeaders(w)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
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
			w.Header().Set("Cache-Control", "no-cache")
			http.ServeFileFS(w, r, dist, "index.html")
			return
		}
		if strings.HasPrefix(name, "assets/") {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		}
		files.ServeHTTP(w, r)
	})
}
