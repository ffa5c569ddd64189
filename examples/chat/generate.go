package main

// The chat page's TypeScript event types and the AsyncAPI document of the chat's events.
//go:generate go run github.com/sockgate/sockgate/cmd/sockgate gen -ts web/sockgate-events.ts -asyncapi asyncapi.json
