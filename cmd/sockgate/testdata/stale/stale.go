// Package stale has generated code older than its tags: the event "hello" was renamed
// "greet" (handled by the same method) after zz_sockgate.go was written, so the runtime
// must refuse the gateway.
package stale

import "github.com/sockgate/sockgate/decorators"

// StaleGateway serves the main namespace.
type StaleGateway struct {
	decorators.Gateway

	_ decorators.Subscribe `ws:"greet" handler:"Hello"`
}

// Hello acknowledges with a greeting.
func (g *StaleGateway) Hello() string { return "hello" }
