package otelobserver_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// canary returns a recognisable random value of VSCHARs (a refresh token, a state).
func canary(t *testing.T, name string) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "Canary" + name + "-" + hex.EncodeToString(b)
}

// forms returns s as it must appear nowhere: raw, URL-, JSON-, hex- and base64-encoded.
func forms(s string) []string {
	j, _ := json.Marshal(s)
	return []string{s, url.QueryEscape(s), string(j[1 : len(j)-1]), hex.EncodeToString([]byte(s)),
		base64.StdEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte(s))}
}

// telemetryText is every string the SDK holds of the spans and metrics recorded: span
// names, every attribute (key and value) of spans, events, links, status descriptions
// and resources, and every attribute of every metric data point and exemplar.
func telemetryText(t *testing.T, spans []sdktrace.ReadOnlySpan, rm metricdata.ResourceMetrics) string {
	t.Helper()
	var b strings.Builder
	attrs := func(kvs []attribute.KeyValue) {
		for _, kv := range kvs {
			fmt.Fprintf(&b, "%s=%s\n", kv.Key, kv.Value.Emit())
		}
	}
	for _, s := range spans {
		b.WriteString(s.Name() + "\n" + s.Status().Description + "\n")
		attrs(s.Attributes())
		for _, e := range s.Events() {
			b.WriteString(e.Name + "\n")
			attrs(e.Attributes)
		}
		for _, l := range s.Links() {
			attrs(l.Attributes)
		}
		attrs(s.Resource().Attributes())
	}
	attrs(rm.Resource.Attributes())
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			b.WriteString(m.Name + " " + m.Description + " " + m.Unit + "\n")
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					attrs(dp.Attributes.ToSlice())
					for _, ex := range dp.Exemplars {
						attrs(ex.FilteredAttributes)
					}
				}
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					attrs(dp.Attributes.ToSlice())
					for _, ex := range dp.Exemplars {
						attrs(ex.FilteredAttributes)
					}
				}
			case metricdata.Histogram[int64]: // otelhttp's sizes
				for _, dp := range d.DataPoints {
					attrs(dp.Attributes.ToSlice())
				}
			default:
				t.Fatalf("metric %s holds %T, which the canary does not read", m.Name, m.Data)
			}
		}
	}
	return b.String()
}

// TestCanary_telemetry_noSecretInAnySpanOrMetric runs every flow hexauth reports, in a
// named partition, against the HTTP fake provider with otelhttp on the transport —
// passwords, a client secret, authorization codes, refresh tokens presented by the
// caller, refusals whose description echoes the request — and searches every span and
// metric recorded for the secrets, the username, the scopes and the partition name.
func TestCanary_telemetry_noSecretInAnySpanOrMetric(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	user := strings.ToLower(canary(t, "User")) + "@example.com"
	password, secret, partition := canary(t, "Password"), canary(t, "Secret"), canary(t, "Partition")
	scope := "api://" + strings.ToLower(canary(t, "Scope")) + "/read"
	srv := idptest.NewTestServer(t, idptest.Config{Provider: idptest.ProviderConfig{
		Users:   []idptest.User{{Username: user, Password: domain.Secret(password)}},
		Clients: []idptest.Client{{ID: "public-app"}, {ID: "secret-app", Secret: domain.Secret(secret)}},
		Scopes:  []string{scope, "api://orders/.default"},
	}})
	spans, reader := tracetest.NewSpanRecorder(), sdkmetric.NewManualReader()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	config := func(id string) app.Config {
		return app.Config{ClientID: id, Authority: srv.Issuer(), TracerProvider: tp, MeterProvider: mp,
			Transport: otelhttp.NewTransport(http.DefaultTransport, otelhttp.WithTracerProvider(tp), otelhttp.WithMeterProvider(mp))}
	}
	secrets := map[string]string{"username": user, "password": password, "client secret": secret, "partition": partition, "scope": scope}
	keep := func(what string, res app.AuthResult) {
		secrets[what+" access token"], secrets[what+" refresh token"], secrets[what+" ID token"] =
			string(res.AccessToken), string(res.RefreshToken), string(res.IDToken)
	}
	must := func(what string) func(app.AuthResult, error) app.AuthResult {
		return func(res app.AuthResult, err error) app.AuthResult {
			t.Helper()
			if err != nil {
				t.Fatalf("%s = %v", what, err)
			}
			keep(what, res)
			return res
		}
	}
	refuse := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s = nil; want a refusal", what)
		}
	}
	echo := func() {
		srv.Script(idptest.Fault{Status: 400, EchoRequest: true,
			Error: &idptest.ErrorResponse{Error: "invalid_grant", Description: "AADSTS70000: echoing the request"}})
	}

	root, err := app.NewPublicClient(ctx, config("public-app"))
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	pc := root.Partition(partition)
	res := must("password")(pc.AcquireTokenByUsernamePassword(ctx, user, password, []string{scope}))
	must("silent hit")(pc.AcquireTokenSilent(ctx, []string{scope}, res.Account))
	must("silent refresh")(pc.AcquireTokenSilent(ctx, []string{scope}, res.Account, app.WithForceRefresh()))
	must("refresh token")(pc.AcquireTokenByRefreshToken(ctx, string(res.RefreshToken), []string{scope}))
	_, err = pc.AcquireTokenByUsernamePassword(ctx, user, password+"-wrong", []string{scope})
	refuse("wrong password", err)
	echo()
	_, err = pc.AcquireTokenByUsernamePassword(ctx, user, password, []string{scope})
	refuse("echoed password grant", err)
	echo()
	_, err = pc.AcquireTokenSilent(ctx, []string{scope}, res.Account, app.WithForceRefresh())
	refuse("echoed silent refresh", err)

	flow, err := pc.InitiateAuthCodeFlow(ctx, []string{scope}, "http://localhost/cb")
	if err != nil {
		t.Fatal(err)
	}
	redirect, err := srv.SignIn(ctx, flow.AuthURI, user, password)
	if err != nil {
		t.Fatalf("SignIn() = %v", err)
	}
	secrets["code"], secrets["verifier"], secrets["state"], secrets["nonce"] = redirect.Get("code"), string(flow.CodeVerifier), flow.State, flow.Nonce
	must("auth code")(pc.AcquireTokenByAuthCodeFlow(ctx, flow, redirect))

	conf, err := app.NewConfidentialClient(ctx, config("secret-app"), app.ClientSecret(secret))
	if err != nil {
		t.Fatal(err)
	}
	defer conf.Close()
	cc := conf.Partition(partition)
	must("client credentials")(cc.AcquireTokenForClient(ctx, []string{"api://orders/.default"}))
	must("client credentials hit")(cc.AcquireTokenForClient(ctx, []string{"api://orders/.default"}))
	echo()
	_, err = cc.AcquireTokenForClient(ctx, []string{"api://orders/.default"}, app.WithForceRefresh())
	refuse("echoed client credentials", err)
	wrong, err := app.NewConfidentialClient(ctx, config("secret-app"), app.ClientSecret(secret+"-wrong"))
	if err != nil {
		t.Fatal(err)
	}
	defer wrong.Close()
	_, err = wrong.Partition(partition).AcquireTokenForClient(ctx, []string{"api://orders/.default"})
	refuse("wrong client secret", err)

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	ended := spans.Ended()
	text := telemetryText(t, ended, rm)
	for name, s := range secrets {
		if s == "" {
			continue
		}
		for _, f := range forms(s) {
			if strings.Contains(text, f) {
				t.Errorf("the %s shows in the telemetry as %q", name, f)
			}
		}
	}
	// The search saw what it had to: spans of every acquisition, partition hashes,
	// errors by class, the provider's HTTP spans and every hexauth metric.
	var acquisitions, hashed, failed int
	for _, s := range ended {
		if s.Name() == "hexauth.acquire_token" {
			acquisitions++
			if attr(s, "hexauth.partition.hash") != "" {
				hashed++
			}
			if attr(s, "error.type") != "" {
				failed++
			}
		}
	}
	if acquisitions != 12 || hashed != 12 || failed != 5 {
		t.Errorf("%d acquisition spans, %d with a partition hash, %d failed; want 12, 12, 5", acquisitions, hashed, failed)
	}
	if len(ended) <= acquisitions {
		t.Errorf("%d spans in all; want otelhttp's too", len(ended))
	}
	for _, name := range []string{"hexauth.cache.lookups", "hexauth.refreshes", "hexauth.provider.duration", "hexauth.provider.errors", "hexauth.lock.wait.duration"} {
		if !strings.Contains(text, name+" ") {
			t.Errorf("no %s metric was recorded; want one", name)
		}
	}
}

// The provider's HTTP calls carry the acquisition's context: with otelhttp on
// Config.Transport, its client spans are children of hexauth.acquire_token, in one
// trace with the caller's own span.
func TestOtelhttp_providerSpansAreChildrenOfTheAcquisition(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	srv := idptest.NewTestServer(t, idptest.Config{Provider: idptest.ProviderConfig{
		Clients: []idptest.Client{{ID: "orders-daemon", Secret: "s3cret"}}}})
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	cc, err := app.NewConfidentialClient(ctx, app.Config{ClientID: "orders-daemon", Authority: srv.Issuer(),
		TracerProvider: tp, Transport: otelhttp.NewTransport(http.DefaultTransport, otelhttp.WithTracerProvider(tp))},
		app.ClientSecret("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, parent := tp.Tracer("caller").Start(ctx, "handle request")
	if _, err := cc.AcquireTokenForClient(ctx, []string{"api://orders/.default"}); err != nil {
		t.Fatalf("AcquireTokenForClient() = %v", err)
	}
	parent.End()

	var acq sdktrace.ReadOnlySpan
	var http []sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		switch {
		case s.Name() == "hexauth.acquire_token":
			acq = s
		case s.InstrumentationScope().Name != "caller":
			http = append(http, s)
		}
	}
	if acq == nil || acq.Parent().SpanID() != parent.SpanContext().SpanID() {
		t.Fatalf("hexauth.acquire_token span %v; want one, child of the caller's span", acq)
	}
	u, _ := url.Parse(srv.Issuer())
	if attr(acq, "server.address") != u.Hostname() || attr(acq, "server.port") != u.Port() {
		t.Errorf("server.address, server.port = %q, %q; want %q, %q", attr(acq, "server.address"), attr(acq, "server.port"), u.Hostname(), u.Port())
	}
	if len(http) < 2 { // discovery, then the token request
		t.Fatalf("%d otelhttp spans; want discovery and token requests", len(http))
	}
	for _, s := range http {
		if s.Parent().SpanID() != acq.SpanContext().SpanID() || s.SpanContext().TraceID() != parent.SpanContext().TraceID() {
			t.Errorf("HTTP span %q has parent %v; want the acquisition %v", s.Name(), s.Parent().SpanID(), acq.SpanContext().SpanID())
		}
	}
}
