// Package web embeds what the server sends to browsers: the built React app
// (web/dist, produced by the web build) and the GraphQL playground page.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

//go:embed playground.html
var playground []byte

// Dist returns the built web app, with index.html at its root when built.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the directory is embedded at compile time; this cannot fail
	}
	return sub
}

// Playground returns the HTML of the GraphQL playground.
func Playground() []byte { return playground }
