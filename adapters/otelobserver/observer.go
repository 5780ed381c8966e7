package otelobserver

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"strconv"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// ScopeName is the instrumentation scope of the tracer and meter (this package's path).
const ScopeName = "github.com/hexauth/hexauth/adapters/otelobserver"

// SpanName is the name of the span of every acquisition.
const SpanName = "hexauth.acquire_token"

// Attribute keys of hexauth's own, beside the semantic conventions' error.type,
// server.address and server.port.
const (
	FlowKey          = attribute.Key("hexauth.flow")
	TokenSourceKey   = attribute.Key("hexauth.token.source")
	PartitionHashKey = attribute.Key("hexauth.partition.hash")
	CacheResultKey   = attribute.Key("hexauth.cache.result")
	ResultKey        = attribute.Key("hexauth.result")
	StoreKey         = attribute.Key("hexauth.store")
)

// Config configures an Observer. Every field is optional.
type Config struct {
	// TracerProvider makes the tracer. Nil means otel.GetTracerProvider(): nothing is
	// recorded until the program installs an SDK (see the package doc).
	TracerProvider trace.TracerProvider
	// MeterProvider makes the meter. Nil means otel.GetMeterProvider().
	MeterProvider metric.MeterProvider
	// StoreKind names the cache store in metric attributes (hexauth.store): "memory",
	// "sqlite", "postgres", or the name of your own. Up to 32 characters of a-z, 0-9,
	// '+', '-' and '_'. Empty leaves the attribute out.
	StoreKind string
	// PartitionHashKey keys the hash of partition names on spans (at least 16 bytes).
	// Give every process the same key to correlate their spans by partition; keep it
	// secret, or anyone holding it can test guesses of partition names against the
	// hashes. Nil means a random key per Observer.
	PartitionHashKey []byte
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if len(c.StoreKind) > 32 {
		return domain.Errorf(domain.ErrInvalidInput, "otelobserver: StoreKind is longer than 32 characters")
	}
	for _, r := range c.StoreKind {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '+' || r == '-' || r == '_') {
			return domain.Errorf(domain.ErrInvalidInput, "otelobserver: StoreKind may hold only a-z, 0-9, '+', '-' and '_'")
		}
	}
	if c.PartitionHashKey != nil && len(c.PartitionHashKey) < 16 {
		return domain.Errorf(domain.ErrInvalidInput, "otelobserver: PartitionHashKey must be at least 16 bytes, got %d", len(c.PartitionHashKey))
	}
	return nil
}

// RecordsNothing reports whether both providers are the OpenTelemetry API's no-op ones
// (trace/noop and metric/noop), which record nothing whatever the program installs
// later: an Observer on them is not worth calling, and app installs none.
func (c Config) RecordsNothing() bool {
	_, noTraces := c.TracerProvider.(tracenoop.TracerProvider)
	_, noMetrics := c.MeterProvider.(metricnoop.MeterProvider)
	return noTraces && noMetrics
}

// Observer is a ports.Observer that records spans and metrics through the OpenTelemetry
// API. It is safe for concurrent use.
type Observer struct {
	tracer    trace.Tracer
	startOpts []trace.SpanStartOption
	key       []byte
	m         instruments
}

var _ ports.Observer = (*Observer)(nil)

// New returns an Observer for cfg. Its instruments are built here, once; an error
// building one goes to otel.Handle and leaves that instrument recording nothing.
func New(cfg Config) (*Observer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tp, mp := cfg.TracerProvider, cfg.MeterProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	key := cfg.PartitionHashKey
	if key == nil {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, &domain.Error{Class: domain.ErrUnavailable, Op: "otelobserver", Description: "no random partition hash key", Err: err}
		}
	} else {
		key = append([]byte(nil), key...) // the caller may reuse its slice
	}
	o := &Observer{
		tracer: tp.Tracer(ScopeName, trace.WithSchemaURL(semconv.SchemaURL)),
		// Built once: a variadic call with an existing slice allocates nothing.
		startOpts: []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindInternal)},
		key:       key,
		m:         newInstruments(mp.Meter(ScopeName, metric.WithSchemaURL(semconv.SchemaURL)), cfg.StoreKind),
	}
	return o, nil
}

// StartAcquisition starts the acquisition's span. Attributes are set only on a span
// that records, so a no-op tracer costs only the span and its context.
func (o *Observer) StartAcquisition(ctx context.Context, a ports.Acquisition) context.Context {
	ctx, span := o.tracer.Start(ctx, SpanName, o.startOpts...)
	if !span.IsRecording() {
		return ctx
	}
	attrs := make([]attribute.KeyValue, 0, 4)
	attrs = append(attrs, FlowKey.String(string(a.Flow)))
	attrs = append(attrs, serverAttrs(a.Host)...)
	if a.Partition != "" {
		attrs = append(attrs, PartitionHashKey.String(o.partitionHash(a.Partition)))
	}
	span.SetAttributes(attrs...)
	return ctx
}

// EndAcquisition ends the span StartAcquisition put in ctx: the token source, and on
// an error status Error and error.type (the class, never the error's text).
func (o *Observer) EndAcquisition(ctx context.Context, out ports.AcquisitionOutcome) {
	span := trace.SpanFromContext(ctx)
	if span.IsRecording() {
		if src := tokenSource(out.Source); src != "" {
			span.SetAttributes(TokenSourceKey.String(src))
		}
		if out.Err != nil {
			class := errorClass(out.Err)
			span.SetAttributes(semconv.ErrorTypeKey.String(class))
			span.SetStatus(codes.Error, class)
		}
	}
	span.End()
}

// CacheLookedUp counts a lookup in hexauth.cache.lookups.
func (o *Observer) CacheLookedUp(ctx context.Context, flow ports.Flow, hit bool) {
	o.m.lookups.Add(ctx, 1, o.m.lookupOpts(flow, hit)...)
}

// ProviderCalled records a token request in hexauth.provider.duration, and a failed one
// in hexauth.provider.errors. A device-code poll answered authorization_pending or
// slow_down is the protocol's normal "not yet" (RFC 8628 §3.5), not a failure: it is
// recorded in the duration with its error.type, so that it can be told apart, and never
// counted as an error — a user reading a code off a screen for a minute would otherwise
// look like a dozen provider failures to an alert on the error rate.
func (o *Observer) ProviderCalled(ctx context.Context, flow ports.Flow, took time.Duration, err error) {
	if err == nil {
		o.m.providerDuration.Record(ctx, took.Seconds(), o.m.flowOpts(flow)...)
		return
	}
	class := errorClass(err)
	opts := o.m.failureOpts(flow, class)
	o.m.providerDuration.Record(ctx, took.Seconds(), opts.record...)
	if class == string(domain.ErrAuthorizationPending) {
		return
	}
	o.m.providerErrors.Add(ctx, 1, opts.add...)
}

// Refreshed counts a refresh in hexauth.refreshes.
func (o *Observer) Refreshed(ctx context.Context, flow ports.Flow, err error) {
	if err == nil {
		o.m.refreshes.Add(ctx, 1, o.m.refreshOK(flow)...)
		return
	}
	o.m.refreshes.Add(ctx, 1, o.m.refreshFailed(flow, errorClass(err))...)
}

// FlightMerged counts a merge in hexauth.flight.merges.
func (o *Observer) FlightMerged(ctx context.Context, flow ports.Flow) {
	o.m.merges.Add(ctx, 1, o.m.flowOnly(flow)...)
}

// LockWaited records a wait in hexauth.lock.wait.duration.
func (o *Observer) LockWaited(ctx context.Context, flow ports.Flow, took time.Duration) {
	o.m.lockWait.Record(ctx, took.Seconds(), o.m.lockOpts(flow)...)
}

// partitionHash is the keyed hash of a partition name: 64 bits of HMAC-SHA-256, enough
// to tell partitions apart in traces, too short to be worth a dictionary on its own.
func (o *Observer) partitionHash(partition string) string {
	mac := hmac.New(sha256.New, o.key)
	mac.Write([]byte(partition))
	return hex.EncodeToString(mac.Sum(nil)[:8])
}

// serverAttrs splits an authority host into server.address and server.port.
func serverAttrs(host string) []attribute.KeyValue {
	if host == "" {
		return nil
	}
	if h, p, err := net.SplitHostPort(host); err == nil {
		if port, err := strconv.Atoi(p); err == nil {
			return []attribute.KeyValue{semconv.ServerAddressKey.String(h), semconv.ServerPortKey.Int(port)}
		}
	}
	return []attribute.KeyValue{semconv.ServerAddressKey.String(host)}
}

// tokenSource is the exported name of a result's token source.
func tokenSource(s domain.TokenSource) string {
	switch s {
	case domain.SourceCache:
		return "cache"
	case domain.SourceIdentityProvider:
		return "provider"
	}
	return ""
}
