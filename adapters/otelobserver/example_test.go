package otelobserver_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/app"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// A program hands app.Config its OpenTelemetry providers (or installs them as the
// globals, which Config's nil fields default to) and, to trace the provider's HTTP
// calls too, an otelhttp transport: its client spans become children of
// hexauth.acquire_token. Here the SDK records into memory, and the provider is the HTTP
// fake of adapters/httpidp/idptest on a loopback port.
func Example() {
	srv, err := idptest.NewServer(idptest.Config{Provider: idptest.ProviderConfig{
		Clients: []idptest.Client{{ID: "orders-daemon", Secret: "s3cret"}},
	}})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))

	ctx := context.Background()
	cc, err := app.NewConfidentialClient(ctx, app.Config{
		ClientID: "orders-daemon", Authority: srv.Issuer(),
		TracerProvider: tp, MeterProvider: mp,
		Transport: otelhttp.NewTransport(http.DefaultTransport, otelhttp.WithTracerProvider(tp)),
	}, app.ClientSecret("s3cret"))
	if err != nil {
		panic(err)
	}
	defer cc.Close()
	for range 2 { // from the provider, then from the cache
		if _, err := cc.AcquireTokenForClient(ctx, []string{"api://orders/.default"}); err != nil {
			panic(err)
		}
	}

	for _, s := range spans.GetSpans() {
		if s.Name != "hexauth.acquire_token" {
			fmt.Println("HTTP span under an acquisition:", s.Parent.IsValid())
			continue
		}
		for _, kv := range s.Attributes {
			if kv.Key == "hexauth.flow" || kv.Key == "hexauth.token.source" {
				fmt.Printf("%s %s=%s\n", s.Name, kv.Key, kv.Value.Emit())
			}
		}
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		panic(err)
	}
	var names []string
	for _, m := range rm.ScopeMetrics[0].Metrics {
		names = append(names, m.Name)
	}
	slices.Sort(names)
	fmt.Println(names)
	// Output:
	// HTTP span under an acquisition: true
	// HTTP span under an acquisition: true
	// hexauth.acquire_token hexauth.flow=client_credentials
	// hexauth.acquire_token hexauth.token.source=provider
	// hexauth.acquire_token hexauth.flow=client_credentials
	// hexauth.acquire_token hexauth.token.source=cache
	// [hexauth.cache.lookups hexauth.lock.wait.duration hexauth.provider.duration]
}
