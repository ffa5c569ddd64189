package main

// The gateway's handler specs as typed code (zz_sockgate.go), as an application that runs
// sockgate gen has them: the methods are called without reflection.
//go:generate go run github.com/sockgate/sockgate/cmd/sockgate gen -ts - -asyncapi -
