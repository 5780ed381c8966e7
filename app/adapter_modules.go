package app

import (
	"github.com/hexauth/hexauth/ports"
	"go.uber.org/fx"
)

// HTTPIdP provides the identity provider over HTTP (adapters/httpidp), shared with every
// other running client of the process whose Config has the same HTTPClient, Transport,
// AllowedHosts, Logger and Clock: its discovery documents, key sets, connections and
// throttle windows serve them all (see shared_provider.go).
var HTTPIdP = fx.Module("hexauth.httpidp",
	fx.Provide(fx.Annotate(newHTTPIdP, fx.As(new(ports.IdentityProvider)))),
)
