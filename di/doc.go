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
// [Module] (an fx.Module named "sockgate") provides the *gateway.Server and a [Mux] for
// extra HTTP routes, registers every gateway given with [Gateway], listens on Config.Addr
// when the app starts (without blocking) and drains the server with Server.Shutdown when it
// stops. A gateway that fails registration makes fx.New(...).Err() return the registration
// message, which the application's fx logger prints once when Run starts it. The module
// logs its own fx events through slog.Default() at debug level and leaves the
// application's fx logger alone.
//
// Optional pieces are taken from the graph when present: a *slog.Logger, an
// adapter.Factory, a *validator.Validate, a gateway.Observer (the Metrics of package
// metrics), and guards, pipes, interceptors, exception filters and named pieces given with
// [Guard], [Pipe], [Interceptor], [ExceptionFilter] and [Named].
//
// # Reaching the server from a gateway
//
// The *gateway.Server is built from the gateways, so a gateway's constructor cannot take
// it: fx reports a dependency cycle. A gateway reaches the server in its AfterInit hook
// (gateway.OnGatewayInit), which receives its namespace (n.Server()), or in a handler
// (s.Namespace().Server()). Any other constructor or fx.Invoke may take *gateway.Server
// from the graph.
//
// # Concurrency
//
// The HTTP server started by the lifecycle hook runs its own goroutines, which end when
// the app stops.
package di
