// Package di wires sockgate into a go.uber.org/fx application. It adds no behaviour of its
// own: everything it builds can be built by hand with package gateway.
//
//	fx.New(
//		di.Module,
//		fx.Supply(gateway.Config{Addr: ":3000"}),
//		fx.Provide(NewStore),
//		di.Gateway(NewChatGateway),
//	).Run()
//
// [Module] provides the *gateway.Server and a [Mux] for extra HTTP routes, registers every
// gateway given with [Gateway], listens on Config.Addr when the app starts (without
// blocking) and drains the server with Server.Shutdown when it stops. A gateway that fails
// discovery makes fx.New(...).Err() return the discovery message. Optional pieces are taken
// from the graph when present: a *slog.Logger, an adapter.Factory, a
// *validator.Validate, a gateway.ExceptionFilter, a gateway.Observer (the Metrics of
// package metrics), and guards, interceptors and named pieces given with [Guard],
// [Interceptor] and [Named].
//
// # Concurrency
//
// The HTTP server started by the lifecycle hook runs its own goroutines, which end when
// the app stops.
package di
