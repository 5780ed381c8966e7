package otelobserver_test

import (
	"context"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

const (
	clientID      = "orders-app"
	authority     = "https://login.example.com/tenant-a"
	providerTook  = 250 * time.Millisecond // what the slow provider takes per token request, on the clock
	tokenLifetime = time.Hour              // the fake provider's default expires_in
)

var (
	start      = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	readOrders = []string{"api://orders/read"}
)

// rig is a public client on the in-process fake provider, recording into the SDK's
// in-memory span recorder and a manual metric reader.
type rig struct {
	t      *testing.T
	ctx    context.Context
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	tp     *sdktrace.TracerProvider // into spans
	mp     *sdkmetric.MeterProvider // into reader (a reader serves one provider)
	clock  *memory.Clock
	idp    *memory.IdentityProvider
	pc     *app.PublicClient
}

func newRig(t *testing.T, edit func(*memory.ProviderConfig)) *rig {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	r := &rig{t: t, ctx: ctx, spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader(), clock: memory.NewClock(start)}
	pcfg := memory.ProviderConfig{Clock: r.clock,
		Users:   []memory.User{{Username: "alice@example.com", Password: "pw"}},
		Clients: []memory.Client{{ID: clientID}, {ID: "orders-daemon", Secret: "daemon-secret"}}, Scopes: readOrders}
	if edit != nil {
		edit(&pcfg)
	}
	r.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r.spans))
	r.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader))
	var err error
	if r.idp, err = memory.NewIdentityProvider(pcfg); err != nil {
		t.Fatal(err)
	}
	if r.pc, err = app.NewPublicClient(ctx, r.config(clientID)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.pc.Close() })
	return r
}

// config is a client configuration recording into the rig.
func (r *rig) config(id string) app.Config {
	return app.Config{ClientID: id, Authority: authority, Clock: r.clock,
		IdentityProvider: &slowProvider{IdentityProvider: r.idp, clock: r.clock},
		TracerProvider:   r.tp, MeterProvider: r.mp,
	}
}

// signIn signs alice in with her password and forgets what that recorded.
func (r *rig) signIn() app.Account {
	r.t.Helper()
	res, err := r.pc.AcquireTokenByUsernamePassword(r.ctx, "alice@example.com", "pw", readOrders)
	if err != nil {
		r.t.Fatalf("AcquireTokenByUsernamePassword() = %v", err)
	}
	r.spans.Reset() // the metrics stay: the sign-in's are under flow username_password
	return res.Account
}

// slowProvider is the fake provider taking providerTook per token request, on the clock.
type slowProvider struct {
	ports.IdentityProvider
	clock *memory.Clock
}

func (p *slowProvider) Token(ctx context.Context, req domain.TokenRequest) (domain.TokenResponse, error) {
	p.clock.Advance(providerTook)
	return p.IdentityProvider.Token(ctx, req)
}

// acquisitions returns the ended hexauth.acquire_token spans.
func (r *rig) acquisitions() []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range r.spans.Ended() {
		if s.Name() == "hexauth.acquire_token" {
			out = append(out, s)
		}
	}
	return out
}

// only returns the one acquisition span recorded, failing otherwise.
func (r *rig) only() sdktrace.ReadOnlySpan {
	r.t.Helper()
	spans := r.acquisitions()
	if len(spans) != 1 {
		r.t.Fatalf("got %d hexauth.acquire_token spans; want 1", len(spans))
	}
	return spans[0]
}

// attr returns a span attribute's value as a string ("" when absent).
func attr(s sdktrace.ReadOnlySpan, key string) string {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

// metrics collects every metric by name.
func (r *rig) metrics() map[string]metricdata.Metrics {
	r.t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.reader.Collect(r.ctx, &rm); err != nil {
		r.t.Fatalf("Collect() = %v", err)
	}
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

// count returns the value of a counter's data point with exactly attrs (0 when none).
func (r *rig) count(name string, attrs ...attribute.KeyValue) int64 {
	r.t.Helper()
	m, ok := r.metrics()[name]
	if !ok {
		return 0
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	if !ok {
		r.t.Fatalf("%s is a %T; want a Sum[int64]", name, m.Data)
	}
	want := attribute.NewSet(attrs...)
	for _, dp := range sum.DataPoints {
		if dp.Attributes.Equals(&want) {
			return dp.Value
		}
	}
	return 0
}

// histogram returns the count and sum of a histogram's data point with exactly attrs.
func (r *rig) histogram(name string, attrs ...attribute.KeyValue) (uint64, float64) {
	r.t.Helper()
	m, ok := r.metrics()[name]
	if !ok {
		return 0, 0
	}
	h, ok := m.Data.(metricdata.Histogram[float64])
	if !ok {
		r.t.Fatalf("%s is a %T; want a Histogram[float64]", name, m.Data)
	}
	if m.Unit != "s" {
		r.t.Errorf("%s has unit %q; want s", name, m.Unit)
	}
	want := attribute.NewSet(attrs...)
	for _, dp := range h.DataPoints {
		if dp.Attributes.Equals(&want) {
			return dp.Count, dp.Sum
		}
	}
	return 0, 0
}

func kv(k, v string) attribute.KeyValue { return attribute.String(k, v) }
