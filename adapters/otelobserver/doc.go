// Package otelobserver reports what hexauth's token flows do as OpenTelemetry spans and
// metrics: a ports.Observer on the OpenTelemetry API alone. The API records nothing by
// itself; a program that installs an SDK (go.opentelemetry.io/otel/sdk) decides where
// spans and metrics go.
//
// # Turning it on
//
// Config takes a TracerProvider and a MeterProvider, as OpenTelemetry's instrumentation
// libraries do (never a Tracer or a Meter). Left nil they are the OpenTelemetry globals
// (otel.GetTracerProvider, otel.GetMeterProvider), which do nothing until the program
// installs an SDK with otel.SetTracerProvider and otel.SetMeterProvider, and then record
// through it, even for an Observer built before. So a program without an SDK records
// nothing, and one with an SDK gets hexauth's telemetry with no further code. app.Config
// passes its own TracerProvider and MeterProvider fields here. To switch hexauth's
// telemetry off whatever the globals are, pass the API's no-op providers
// (go.opentelemetry.io/otel/trace/noop and .../metric/noop): Config.RecordsNothing then
// holds, and app installs no observer at all.
//
// # What is emitted
//
// One span per acquisition, named "hexauth.acquire_token" (SpanKindInternal), with
//
//   - hexauth.flow: silent, client_credentials, auth_code, authorization_code,
//     username_password, refresh_token or device_code;
//   - hexauth.token.source: cache or provider, when tokens came back;
//   - server.address (and server.port when the authority URL names one): the
//     authority's host;
//   - hexauth.partition.hash, for a named cache partition: an HMAC-SHA-256 of its name
//     under Config.PartitionHashKey, cut to 16 hex digits, computed only when the span
//     is recording;
//   - on failure, status Error, described by error.type alone: the hexauth error class
//     (invalid_grant, interaction_required, unavailable, ...; "_OTHER" for an error
//     without one).
//
// The identity provider's HTTP calls are made with the span's context, so an
// instrumented transport in app.Config.Transport (otelhttp.NewTransport) puts its
// client spans under it.
//
// Metrics, all with bounded attributes (the flow, the store kind, a result, an error
// class; never a partition, account, username, scope or authority path):
//
//   - hexauth.cache.lookups ({lookup}): hexauth.flow, hexauth.cache.result (hit or
//     miss), hexauth.store (the scheme of app.Config.Cache; left out for a store the
//     caller opened and passed as app.Config.CacheStore);
//   - hexauth.refreshes ({refresh}): redemptions of cached refresh tokens;
//     hexauth.flow, hexauth.result (success or failure), error.type on failure;
//   - hexauth.provider.duration (s, histogram): token requests to the identity
//     provider; hexauth.flow, error.type on failure;
//   - hexauth.provider.errors ({error}): the failed ones; hexauth.flow, error.type. A
//     device-code poll answered authorization_pending or slow_down is not a failure: it
//     is in hexauth.provider.duration (error.type authorization_pending), not here;
//   - hexauth.flight.merges ({merge}): callers that got the result of an identical
//     request in flight in this process instead of making their own; hexauth.flow;
//   - hexauth.lock.wait.duration (s, histogram): time spent taking the store's refresh
//     lock; hexauth.flow, hexauth.store.
//
// Durations come from the engine's Clock port. Nothing emitted ever holds a token, a
// password, a code, a client secret, a username, a scope, an account or a partition
// name, and errors are reported by class only: an error's text may quote the
// provider's description, which may name a user.
//
// # Cost
//
// Instruments are built once, in New; an error building one goes to otel.Handle and
// that instrument records nothing. With the globals left as no-ops, a silent cache hit
// costs what the global tracer's no-op Start costs (three allocations in v1.47.0: the
// span and the context holding it) and nothing else: a span's attributes and the
// partition's hash are computed only when it records, and metric attribute sets are
// built in New. docs/benchmarks.md has the numbers, with and without a recording SDK.
package otelobserver
