package otelobserver_test

import (
	"context"
	"syscall"
	"testing"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/adapters/otelobserver"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	"go.opentelemetry.io/otel"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// BenchmarkSilentHit_telemetry measures AcquireTokenSilent served from the memory
// cache through app, in a named partition, as a backend calls it on every request:
//
//   - off: the API's no-op providers for both signals, so app installs no observer;
//
//   - globals: Config's providers left nil, no SDK installed (what a program that
//     never sets one up gets): the observer runs on the globals' no-op delegates;
//
//   - sdk: a recording SDK — every span sampled and handed to an exporter that drops
//     it, every metric aggregated for a manual reader.
//
//     go test -run '^$' -bench BenchmarkSilentHit_telemetry -benchmem -count 3 ./adapters/otelobserver
func BenchmarkSilentHit_telemetry(b *testing.B) {
	for _, tc := range []struct {
		name string
		edit func(*app.Config)
	}{
		{"off", func(c *app.Config) {
			c.TracerProvider, c.MeterProvider = tracenoop.NewTracerProvider(), metricnoop.NewMeterProvider()
		}},
		{"globals", func(c *app.Config) { c.TracerProvider, c.MeterProvider = nil, nil }},
		{"sdk", func(c *app.Config) {
			c.TracerProvider = sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()),
				sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(tracetest.NewNoopExporter())))
			c.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			clock := memory.NewClock(start)
			idp, err := memory.NewIdentityProvider(memory.ProviderConfig{Clock: clock,
				Users: []memory.User{{Username: "alice@example.com", Password: "pw"}}, Clients: []memory.Client{{ID: clientID}}, Scopes: readOrders})
			if err != nil {
				b.Fatal(err)
			}
			cfg := app.Config{ClientID: clientID, Authority: authority, Clock: clock, IdentityProvider: idp}
			tc.edit(&cfg)
			root, err := app.NewPublicClient(ctx, cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer root.Close()
			pc := root.Partition("tenant-42")
			res, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "pw", readOrders)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				hit, err := pc.AcquireTokenSilent(ctx, readOrders, res.Account)
				if err != nil || hit.TokenSource != domain.SourceCache {
					b.Fatalf("AcquireTokenSilent() = %q, %v; want a cache hit", hit.TokenSource, err)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime returns the CPU time the process has used, in nanoseconds (the machine is
// shared: wall time is noisy).
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// On a tracer that does not record, an acquisition in a named partition with a cache
// hit costs what the tracer's Start costs, and nothing more: the partition's keyed hash
// and the span's attributes are computed only for a span that records, and a hit's
// metric options were built in New.
func TestObserver_notRecording_allocatesOnlyTheSpan(t *testing.T) {
	obs, err := otelobserver.New(otelobserver.Config{}) // the globals; no SDK is installed in this package's tests
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tracer := otel.GetTracerProvider().Tracer("baseline")
	span := testing.AllocsPerRun(100, func() { _, _ = tracer.Start(ctx, "x") })
	allocs := testing.AllocsPerRun(100, func() {
		c := obs.StartAcquisition(ctx, ports.Acquisition{Flow: ports.FlowSilent, Host: "login.example.com", Partition: "tenant-42"})
		obs.CacheLookedUp(c, ports.FlowSilent, true)
		obs.EndAcquisition(c, ports.AcquisitionOutcome{Flow: ports.FlowSilent, Source: domain.SourceCache})
	})
	if allocs > span {
		t.Errorf("a non-recording acquisition with a cache hit allocates %v times; want no more than the tracer's Start (%v)", allocs, span)
	}
}
