// Package web embeds what the server sends to browsers: the built React app
// and the GraphQL playground, both produced by the web build into web/dist
// (`make web`). A binary built without them still serves the API, with
// placeholder pages that say how to build the app.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Dist returns the built web app, with index.html at its root when built.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the directory is embedded at compile time; this cannot fail
	}
	return sub
}

// PlaygroundFile is the playground's page in Dist.
const PlaygroundFile = "playground.html"

// Playground returns the HTML of the GraphQL playground: the built GraphiQL
// page, or a placeholder when the web app was not built into this binary.
func Playground() []byte {
	if page, err := fs.ReadFile(Dist(), PlaygroundFile); err == nil {
		return page
	}
	return []byte(playgroundNotBuilt)
}

// playgroundNotBuilt needs nothing from elsewhere: it must work offline.
const playgroundNotBuilt = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Omnify GraphQL playground</title></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;line-height:1.5">
<h1>Omnify GraphQL playground</h1>
<p>The playground is part of the web app, which is not built into this binary.
Build it with <code>make web</code> (or <code>make build</code>, which runs it) and start the server again.</p>
<p>The API is up meanwhile: send GraphQL to <a href="/graphql">/graphql</a>, for example</p>
<pre>curl -s localhost:8080/graphql -H 'content-type: application/json' -d '{"query":"{ serverInfo { version } }"}'</pre>
<p>See docs/partners.md in the repository for API keys, limits and error codes.</p>
</body></html>
`
