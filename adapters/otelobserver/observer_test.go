package otelobserver_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/adapters/otelobserver"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// A silent call served from the cache is one span with source cache, and one cache hit;
// the provider is not asked.
func TestObserver_silentHit_cacheSpanAndHit(t *testing.T) {
	r := newRig(t, nil)
	acct := r.signIn()

	if _, err := r.pc.AcquireTokenSilent(r.ctx, readOrders, acct); err != nil {
		t.Fatalf("AcquireTokenSilent() = %v", err)
	}
	s := r.only()
	for key, want := range map[string]string{
		"hexauth.flow": "silent", "hexauth.token.source": "cache", "server.address": "login.example.com",
		"error.type": "", "hexauth.partition.hash": "",
	} {
		if got := attr(s, key); got != want {
			t.Errorf("span attribute %s = %q; want %q", key, got, want)
		}
	}
	if s.Status().Code != codes.Unset {
		t.Errorf("span status = %v; want Unset", s.Status())
	}
	if got := r.count("hexauth.cache.lookups", kv("hexauth.flow", "silent"), kv("hexauth.cache.result", "hit"), kv("hexauth.store", "memory")); got != 1 {
		t.Errorf("hexauth.cache.lookups{silent, hit, memory} = %d; want 1", got)
	}
	if got := r.count("hexauth.cache.lookups", kv("hexauth.flow", "silent"), kv("hexauth.cache.result", "miss"), kv("hexauth.store", "memory")); got != 0 {
		t.Errorf("hexauth.cache.lookups{silent, miss} = %d; want 0", got)
	}
	if n, _ := r.histogram("hexauth.provider.duration", kv("hexauth.flow", "silent")); n != 0 {
		t.Errorf("hexauth.provider.duration{silent} has %d requests; want none for a hit", n)
	}
	// The sign-in before it asked the provider once, which took providerTook on the clock.
	if n, sum := r.histogram("hexauth.provider.duration", kv("hexauth.flow", "username_password")); n != 1 || sum != providerTook.Seconds() {
		t.Errorf("hexauth.provider.duration{username_password} = %d requests, %gs; want 1, %gs", n, sum, providerTook.Seconds())
	}
}

// A silent call whose token expired refreshes: a span with source provider, a miss, a
// successful refresh, the provider's time and the refresh lock's wait.
func TestObserver_silentRefresh_providerSpanRefreshAndDuration(t *testing.T) {
	r := newRig(t, nil)
	acct := r.signIn()
	r.clock.Advance(tokenLifetime)

	res, err := r.pc.AcquireTokenSilent(r.ctx, readOrders, acct)
	if err != nil || res.TokenSource != domain.SourceIdentityProvider {
		t.Fatalf("AcquireTokenSilent() = %v, %v; want a refreshed token", res.TokenSource, err)
	}
	s := r.only()
	if got := attr(s, "hexauth.token.source"); got != "provider" {
		t.Errorf("span hexauth.token.source = %q; want provider", got)
	}
	silent := kv("hexauth.flow", "silent")
	if got := r.count("hexauth.cache.lookups", silent, kv("hexauth.cache.result", "miss"), kv("hexauth.store", "memory")); got != 1 {
		t.Errorf("hexauth.cache.lookups{silent, miss} = %d; want 1", got)
	}
	if got := r.count("hexauth.refreshes", silent, kv("hexauth.result", "success")); got != 1 {
		t.Errorf("hexauth.refreshes{silent, success} = %d; want 1", got)
	}
	if n, sum := r.histogram("hexauth.provider.duration", silent); n != 1 || sum != providerTook.Seconds() {
		t.Errorf("hexauth.provider.duration{silent} = %d requests, %gs; want 1, %gs", n, sum, providerTook.Seconds())
	}
	if n, sum := r.histogram("hexauth.lock.wait.duration", silent, kv("hexauth.store", "memory")); n != 1 || sum != 0 {
		t.Errorf("hexauth.lock.wait.duration{silent, memory} = %d waits, %gs; want 1, 0s (a free lock, a clock standing still)", n, sum)
	}
	if got := r.count("hexauth.provider.errors", silent, kv("error.type", "invalid_grant")); got != 0 {
		t.Errorf("hexauth.provider.errors{silent} = %d; want 0", got)
	}
}

// A refused refresh ends the span with status Error and error.type the class the caller
// sees, described by the class alone; the refusal is counted by class.
func TestObserver_refusedRefresh_errorStatusAndClass(t *testing.T) {
	r := newRig(t, nil)
	acct := r.signIn()
	r.idp.RevokeRefreshTokens("alice@example.com")
	r.clock.Advance(tokenLifetime)

	_, err := r.pc.AcquireTokenSilent(r.ctx, readOrders, acct)
	var de *domain.Error
	if !errors.As(err, &de) || !errors.Is(err, domain.ErrInteractionRequired) {
		t.Fatalf("AcquireTokenSilent() = %v; want interaction required", err)
	}
	class := string(de.Class)
	s := r.only()
	if s.Status().Code != codes.Error || s.Status().Description != class {
		t.Errorf("span status = %+v; want Error described %q", s.Status(), class)
	}
	if got := attr(s, "error.type"); got != class {
		t.Errorf("span error.type = %q; want %q", got, class)
	}
	if len(s.Events()) != 0 {
		t.Errorf("span events = %+v; want none (an error's text is no telemetry)", s.Events())
	}
	silent := kv("hexauth.flow", "silent")
	if got := r.count("hexauth.provider.errors", silent, kv("error.type", class)); got != 1 {
		t.Errorf("hexauth.provider.errors{silent, %s} = %d; want 1", class, got)
	}
	if n, _ := r.histogram("hexauth.provider.duration", silent, kv("error.type", class)); n != 1 {
		t.Errorf("hexauth.provider.duration{silent, %s} = %d requests; want 1", class, n)
	}
	if got := r.count("hexauth.refreshes", silent, kv("hexauth.result", "failure"), kv("error.type", class)); got != 1 {
		t.Errorf("hexauth.refreshes{silent, failure, %s} = %d; want 1", class, got)
	}
}

// Input refused before any port call is an acquisition too: its span says invalid_input.
func TestObserver_invalidInput_errorSpan(t *testing.T) {
	r := newRig(t, nil)
	if _, err := r.pc.AcquireTokenSilent(r.ctx, readOrders, app.Account{}); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("AcquireTokenSilent(no account) = %v; want ErrInvalidInput", err)
	}
	s := r.only()
	if got := attr(s, "error.type"); got != "invalid_input" || s.Status().Code != codes.Error {
		t.Errorf("span error.type = %q, status %v; want invalid_input, Error", got, s.Status())
	}
	if got := attr(s, "hexauth.token.source"); got != "" {
		t.Errorf("span hexauth.token.source = %q; want none on a failure without tokens", got)
	}
}

// Concurrent silent calls that need the same refresh make one provider request; the
// callers that got its result instead of making their own are counted as merges. The
// others (any caller that came after the shared call ended) took the refresh lock and
// found the new token: merges plus lock waits is every caller.
func TestObserver_concurrentRefresh_flightMerges(t *testing.T) {
	r := newRig(t, nil)
	gate := &gatedProvider{IdentityProvider: r.idp, release: make(chan struct{})}
	cfg := r.config(clientID)
	cfg.IdentityProvider = gate
	pc, err := app.NewPublicClient(r.ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	res, err := pc.AcquireTokenByUsernamePassword(r.ctx, "alice@example.com", "pw", readOrders)
	if err != nil {
		t.Fatal(err)
	}
	acct := res.Account
	r.clock.Advance(tokenLifetime)
	entered := gate.arm()

	const callers = 8
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	call := func() {
		defer wg.Done()
		_, err := pc.AcquireTokenSilent(r.ctx, readOrders, acct)
		errs <- err
	}
	wg.Add(1)
	go call()
	<-entered // the first refresh is at the provider
	for range callers - 1 {
		wg.Add(1)
		go call()
	}
	time.Sleep(200 * time.Millisecond) // let them reach the shared call
	close(gate.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("AcquireTokenSilent() = %v", err)
		}
	}
	silent := kv("hexauth.flow", "silent")
	if n, _ := r.histogram("hexauth.provider.duration", silent); n != 1 {
		t.Fatalf("hexauth.provider.duration{silent} = %d requests; want 1 (single flight)", n)
	}
	merges := r.count("hexauth.flight.merges", silent)
	waits, _ := r.histogram("hexauth.lock.wait.duration", silent, kv("hexauth.store", "memory"))
	if merges < 1 || merges+int64(waits) != callers {
		t.Errorf("hexauth.flight.merges{silent} = %d, lock waits %d; want at least 1 merge, and merges + waits = %d callers", merges, waits, callers)
	}
}

// gatedProvider holds its first token request, once armed, until released.
type gatedProvider struct {
	ports.IdentityProvider
	mu      sync.Mutex
	entered chan struct{}
	release chan struct{}
}

// arm holds the next token request; the channel returned is closed as it arrives.
func (p *gatedProvider) arm() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.entered = make(chan struct{})
	return p.entered
}

func (p *gatedProvider) Token(ctx context.Context, req domain.TokenRequest) (domain.TokenResponse, error) {
	p.mu.Lock()
	entered := p.entered
	p.entered = nil
	p.mu.Unlock()
	if entered != nil {
		close(entered)
		select {
		case <-p.release:
		case <-ctx.Done():
			return domain.TokenResponse{}, ctx.Err()
		}
	}
	return p.IdentityProvider.Token(ctx, req)
}

// An error class outside hexauth's (an adapter's or a provider's invention) is
// exported as "_OTHER": no free text reaches an attribute, and the metrics' attribute
// sets stay bounded.
func TestObserver_unknownClass_isOther(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	obs, err := otelobserver.New(otelobserver.Config{MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
		TracerProvider: tracenoop.NewTracerProvider()})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, ctx: t.Context(), reader: reader}
	for _, err := range []error{
		&domain.Error{Class: "Bearer eyJ-attacker-text", Description: "alice@example.com"},
		domain.ErrorCode("made_up_class"),
		errors.New("a plain error naming alice@example.com"),
	} {
		obs.ProviderCalled(r.ctx, ports.FlowSilent, time.Second, err)
	}
	obs.ProviderCalled(r.ctx, ports.FlowSilent, time.Second, context.DeadlineExceeded)
	silent := kv("hexauth.flow", "silent")
	if got := r.count("hexauth.provider.errors", silent, kv("error.type", "_OTHER")); got != 3 {
		t.Errorf("hexauth.provider.errors{silent, _OTHER} = %d; want 3", got)
	}
	if got := r.count("hexauth.provider.errors", silent, kv("error.type", "unavailable")); got != 1 {
		t.Errorf("hexauth.provider.errors{silent, unavailable} = %d; want 1 (a bare deadline, as the flows class it)", got)
	}
	if dps := r.metrics()["hexauth.provider.errors"].Data.(metricdata.Sum[int64]).DataPoints; len(dps) != 2 {
		t.Errorf("hexauth.provider.errors has %d attribute sets; want 2 (_OTHER, unavailable)", len(dps))
	}
}

// Named partitions show on spans only as their keyed hash: the same name under the same
// key hashes the same (spans of two processes sharing a key correlate), under another
// key differently.
func TestObserver_partitionHash_keyed(t *testing.T) {
	hash := func(key []byte, partition string) string {
		t.Helper()
		rec := tracetest.NewSpanRecorder()
		obs, err := otelobserver.New(otelobserver.Config{PartitionHashKey: key,
			TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)), MeterProvider: metricnoop.NewMeterProvider()})
		if err != nil {
			t.Fatal(err)
		}
		ctx := obs.StartAcquisition(t.Context(), ports.Acquisition{Flow: ports.FlowSilent, Host: "login.example.com:8443", Partition: partition})
		obs.EndAcquisition(ctx, ports.AcquisitionOutcome{Flow: ports.FlowSilent, Source: domain.SourceCache})
		s := rec.Ended()[0]
		if attr(s, "server.address") != "login.example.com" || attr(s, "server.port") != "8443" {
			t.Errorf("server.address, server.port = %q, %q; want login.example.com, 8443", attr(s, "server.address"), attr(s, "server.port"))
		}
		return attr(s, "hexauth.partition.hash")
	}
	k1, k2 := []byte("0123456789abcdef-key-one"), []byte("0123456789abcdef-key-two")
	a := hash(k1, "tenant-42")
	if len(a) != 16 || a == "tenant-42" {
		t.Fatalf("partition hash = %q; want 16 hex digits", a)
	}
	if b := hash(k1, "tenant-42"); b != a {
		t.Errorf("the same partition under the same key hashes to %q and %q; want equal", a, b)
	}
	if c := hash(k2, "tenant-42"); c == a {
		t.Errorf("another key gives the same hash %q; want a keyed hash", c)
	}
	if d := hash(k1, "tenant-43"); d == a {
		t.Errorf("another partition gives the same hash %q", d)
	}
	if e := hash(k1, ""); e != "" {
		t.Errorf("the zero partition has hash %q; want no attribute", e)
	}
}

func TestConfig_Validate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  otelobserver.Config
		ok   bool
	}{
		{"zero", otelobserver.Config{}, true},
		{"store kind", otelobserver.Config{StoreKind: "sqlite+near"}, true},
		{"store kind with a password", otelobserver.Config{StoreKind: "postgres://app:pw@db"}, false},
		{"store kind too long", otelobserver.Config{StoreKind: "a123456789012345678901234567890123"}, false},
		{"short hash key", otelobserver.Config{PartitionHashKey: []byte("short")}, false},
		{"hash key", otelobserver.Config{PartitionHashKey: make([]byte, 16)}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.ok != (err == nil) || (err != nil && !errors.Is(err, domain.ErrInvalidInput)) {
				t.Fatalf("Validate() = %v; want ok=%v (else ErrInvalidInput)", err, tc.ok)
			}
			if _, nerr := otelobserver.New(tc.cfg); (nerr == nil) != tc.ok {
				t.Fatalf("New() = %v; want the same verdict as Validate", nerr)
			}
		})
	}
}

// Only the API's no-op providers for both signals record nothing for sure; the globals
// (nil) may get an SDK later.
func TestConfig_RecordsNothing(t *testing.T) {
	noT, noM := tracenoop.NewTracerProvider(), metricnoop.NewMeterProvider()
	sdkT := sdktrace.NewTracerProvider()
	for _, tc := range []struct {
		name string
		cfg  otelobserver.Config
		want bool
	}{
		{"globals", otelobserver.Config{}, false},
		{"both no-op", otelobserver.Config{TracerProvider: noT, MeterProvider: noM}, true},
		{"no-op traces, global metrics", otelobserver.Config{TracerProvider: noT}, false},
		{"an SDK for traces", otelobserver.Config{TracerProvider: sdkT, MeterProvider: noM}, false},
	} {
		if got := tc.cfg.RecordsNothing(); got != tc.want {
			t.Errorf("%s: RecordsNothing() = %v; want %v", tc.name, got, tc.want)
		}
	}
}

// failingMeter refuses to make instruments, as a misconfigured SDK (a view that
// conflicts) can.
type failingMeter struct{ metricnoop.Meter }

func (failingMeter) Int64Counter(string, ...metric.Int64CounterOption) (metric.Int64Counter, error) {
	return nil, errors.New("counter refused")
}

func (failingMeter) Float64Histogram(string, ...metric.Float64HistogramOption) (metric.Float64Histogram, error) {
	return nil, errors.New("histogram refused")
}

type failingMeterProvider struct{ metricnoop.MeterProvider }

func (failingMeterProvider) Meter(string, ...metric.MeterOption) metric.Meter { return failingMeter{} }

// An instrument that cannot be made is reported to otel.Handle, once per instrument in
// New, and the Observer still works: it records nothing there, and never panics.
func TestNew_instrumentErrorsGoToOtelHandle(t *testing.T) {
	var mu sync.Mutex
	var handled []string
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		mu.Lock()
		defer mu.Unlock()
		handled = append(handled, err.Error())
	}))
	t.Cleanup(func() { otel.SetErrorHandler(prev) })

	obs, err := otelobserver.New(otelobserver.Config{MeterProvider: failingMeterProvider{}, TracerProvider: tracenoop.NewTracerProvider()})
	if err != nil {
		t.Fatalf("New() = %v; want an Observer despite the meter", err)
	}
	mu.Lock()
	n := len(handled)
	mu.Unlock()
	if n != 6 {
		t.Fatalf("otel.Handle got %d errors (%q); want 6, one per instrument", n, handled)
	}
	ctx := obs.StartAcquisition(t.Context(), ports.Acquisition{Flow: ports.FlowSilent})
	obs.CacheLookedUp(ctx, ports.FlowSilent, false)
	obs.ProviderCalled(ctx, ports.FlowSilent, time.Second, domain.ErrInvalidGrant)
	obs.Refreshed(ctx, ports.FlowSilent, domain.ErrInvalidGrant)
	obs.FlightMerged(ctx, ports.FlowSilent)
	obs.LockWaited(ctx, ports.FlowSilent, time.Second)
	obs.EndAcquisition(ctx, ports.AcquisitionOutcome{Flow: ports.FlowSilent, Err: domain.ErrInvalidGrant})
	mu.Lock()
	defer mu.Unlock()
	if len(handled) != 6 {
		t.Errorf("recording reported %d more errors; want none (instruments are built once)", len(handled)-6)
	}
}

// A device flow's "not yet" polls (authorization_pending, slow_down) are provider calls
// but not provider errors: an alert on hexauth.provider.errors must not fire because a
// user took a minute to type a code. A refusal (access_denied) still counts.
func TestObserver_deviceFlowPendingPolls_areNotErrors(t *testing.T) {
	r := newRig(t, nil)
	flow, err := r.pc.InitiateDeviceFlow(r.ctx, readOrders)
	if err != nil {
		t.Fatal(err)
	}
	r.idp.FailNext(domain.GrantDeviceCode, &domain.Error{Code: "authorization_pending", HTTPStatus: 400})
	r.idp.FailNext(domain.GrantDeviceCode, &domain.Error{Code: "slow_down", HTTPStatus: 400})
	if err := r.idp.ApproveDevice(flow.UserCode, "alice@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.pc.AcquireTokenByDeviceFlow(r.ctx, flow); err != nil {
		t.Fatalf("AcquireTokenByDeviceFlow() = %v", err)
	}
	device := kv("hexauth.flow", "device_code")
	if dps := r.metrics()["hexauth.provider.errors"]; dps.Data != nil && len(dps.Data.(metricdata.Sum[int64]).DataPoints) != 0 {
		t.Errorf("hexauth.provider.errors = %+v; want no data point (two pending polls and a success)", dps.Data)
	}
	if n, _ := r.histogram("hexauth.provider.duration", device, kv("error.type", "authorization_pending")); n != 2 {
		t.Errorf("hexauth.provider.duration{device_code, authorization_pending} = %d polls; want 2", n)
	}
	if n, _ := r.histogram("hexauth.provider.duration", device); n != 1 {
		t.Errorf("hexauth.provider.duration{device_code} = %d polls; want 1 (the one redeemed)", n)
	}

	denied, err := r.pc.InitiateDeviceFlow(r.ctx, readOrders)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.idp.DenyDevice(denied.UserCode); err != nil {
		t.Fatal(err)
	}
	if _, err := r.pc.AcquireTokenByDeviceFlow(r.ctx, denied); !errors.Is(err, domain.ErrAccessDenied) {
		t.Fatalf("AcquireTokenByDeviceFlow(denied) = %v; want access denied", err)
	}
	if got := r.count("hexauth.provider.errors", device, kv("error.type", "access_denied")); got != 1 {
		t.Errorf("hexauth.provider.errors{device_code, access_denied} = %d; want 1", got)
	}
}

// A store the caller opened (app.Config.CacheStore) is not named "memory" because Cache
// is empty: its kind is unknown, so hexauth.store is left out.
func TestObserver_callerOpenedStore_hasNoStoreKind(t *testing.T) {
	r := newRig(t, nil)
	cfg := r.config(clientID)
	store, err := memory.NewStore(memory.StoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.CacheStore = store
	pc, err := app.NewPublicClient(r.ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	acct, err := pc.AcquireTokenByUsernamePassword(r.ctx, "alice@example.com", "pw", readOrders)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AcquireTokenSilent(r.ctx, readOrders, acct.Account); err != nil {
		t.Fatal(err)
	}
	silent, hit := kv("hexauth.flow", "silent"), kv("hexauth.cache.result", "hit")
	if got := r.count("hexauth.cache.lookups", silent, hit); got != 1 {
		t.Errorf("hexauth.cache.lookups{silent, hit} without hexauth.store = %d; want 1", got)
	}
	if got := r.count("hexauth.cache.lookups", silent, hit, kv("hexauth.store", "memory")); got != 0 {
		t.Errorf("hexauth.cache.lookups{silent, hit, store=memory} = %d; want 0 (the caller's store is not known to be the memory store)", got)
	}
}
