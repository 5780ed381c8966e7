package otelobserver

import (
	"context"
	"errors"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// classes are the error classes error.type may hold: domain's, and "_OTHER" (the
// semantic conventions' value for an error of no known type). Anything else an error
// claims to be is "_OTHER", so no provider or adapter can put free text in an
// attribute or grow the metrics' cardinality.
var classes = []domain.ErrorCode{
	domain.ErrInteractionRequired, domain.ErrNoTokens, domain.ErrInvalidGrant, domain.ErrInvalidClient,
	domain.ErrInvalidScope, domain.ErrAccessDenied, domain.ErrStateMismatch, domain.ErrNonceMismatch,
	domain.ErrInvalidIDToken, domain.ErrInvalidFlow, domain.ErrInvalidInput, domain.ErrInvalidResponse,
	domain.ErrThrottled, domain.ErrUnavailable, domain.ErrCacheStore, domain.ErrDiscovery,
	domain.ErrDeviceCodeExpired, domain.ErrAuthorizationPending, otherClass,
}

const otherClass domain.ErrorCode = "_OTHER"

var flows = []ports.Flow{
	ports.FlowSilent, ports.FlowClientCredentials, ports.FlowAuthCode, ports.FlowAuthorizationCode,
	ports.FlowUsernamePassword, ports.FlowRefreshToken, ports.FlowDeviceCode,
}

// errorClass is the error.type of err: the class of the *domain.Error or
// domain.ErrorCode it wraps when that is a known class, "unavailable" for a bare
// context error (as the flows classify one), else "_OTHER". Never the error's text.
func errorClass(err error) string {
	var de *domain.Error
	var code domain.ErrorCode
	switch {
	case errors.As(err, &de) && de != nil:
		code = de.Class
	case errors.As(err, &code):
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		code = domain.ErrUnavailable
	}
	for _, c := range classes {
		if c == code {
			return string(c)
		}
	}
	return string(otherClass)
}

// providerDurationBuckets suit a token request over the internet: 5 ms to 30 s.
var providerDurationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// lockWaitBuckets suit a lock that is usually free and held for one token request.
var lockWaitBuckets = []float64{0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30}

// instruments are the Observer's metrics and the attribute options they are recorded
// with. The options of every known flow, result and class are built once, so that
// recording allocates nothing for them; a flow outside the known ones gets its options
// built per call.
type instruments struct {
	lookups          metric.Int64Counter
	refreshes        metric.Int64Counter
	providerDuration metric.Float64Histogram
	providerErrors   metric.Int64Counter
	merges           metric.Int64Counter
	lockWait         metric.Float64Histogram

	store   string
	byFlow  map[ports.Flow]*flowOptions
	failure map[failureKey]failureOptions
}

// flowOptions are the attribute options of one flow.
type flowOptions struct {
	hit, miss  []metric.AddOption    // hexauth.cache.lookups
	flow       []metric.AddOption    // hexauth.flight.merges
	ok         []metric.AddOption    // hexauth.refreshes, success
	duration   []metric.RecordOption // hexauth.provider.duration, success
	lock       []metric.RecordOption // hexauth.lock.wait.duration
	refreshErr map[string][]metric.AddOption
}

type failureKey struct {
	flow  ports.Flow
	class string
}

// failureOptions are the options of a failed provider call.
type failureOptions struct {
	record []metric.RecordOption
	add    []metric.AddOption
}

func newInstruments(m metric.Meter, store string) instruments {
	noop := metricnoop.Meter{}
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		if err != nil {
			otel.Handle(err)
			c, _ = noop.Int64Counter(name)
		}
		return c
	}
	histogram := func(name, desc string, buckets []float64) metric.Float64Histogram {
		h, err := m.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc), metric.WithExplicitBucketBoundaries(buckets...))
		if err != nil {
			otel.Handle(err)
			h, _ = noop.Float64Histogram(name)
		}
		return h
	}
	in := instruments{
		lookups:          counter("hexauth.cache.lookups", "{lookup}", "Token cache lookups, by result (hit: served without the provider)."),
		refreshes:        counter("hexauth.refreshes", "{refresh}", "Redemptions of cached refresh tokens."),
		providerDuration: histogram("hexauth.provider.duration", "Duration of token requests to the identity provider.", providerDurationBuckets),
		providerErrors:   counter("hexauth.provider.errors", "{error}", "Token requests the identity provider failed or refused, by error class."),
		merges:           counter("hexauth.flight.merges", "{merge}", "Callers that got the result of an identical request already in flight."),
		lockWait:         histogram("hexauth.lock.wait.duration", "Time spent taking the token cache's refresh lock.", lockWaitBuckets),
		store:            store,
		byFlow:           make(map[ports.Flow]*flowOptions, len(flows)),
		failure:          make(map[failureKey]failureOptions, len(flows)*len(classes)),
	}
	for _, f := range flows {
		in.byFlow[f] = in.buildFlow(f)
		for _, c := range classes {
			in.failure[failureKey{f, string(c)}] = in.buildFailure(f, string(c))
		}
	}
	return in
}

func (in *instruments) buildFlow(f ports.Flow) *flowOptions {
	flow := FlowKey.String(string(f))
	withStore := func(kv ...attribute.KeyValue) attribute.Set {
		if in.store != "" {
			kv = append(kv, StoreKey.String(in.store))
		}
		return attribute.NewSet(kv...)
	}
	flowSet := attribute.NewSet(flow)
	o := &flowOptions{
		hit:        addOpts(withStore(flow, CacheResultKey.String("hit"))),
		miss:       addOpts(withStore(flow, CacheResultKey.String("miss"))),
		flow:       addOpts(flowSet),
		ok:         addOpts(attribute.NewSet(flow, ResultKey.String("success"))),
		duration:   recordOpts(flowSet),
		lock:       recordOpts(withStore(flow)),
		refreshErr: make(map[string][]metric.AddOption, len(classes)),
	}
	for _, c := range classes {
		o.refreshErr[string(c)] = addOpts(attribute.NewSet(flow, ResultKey.String("failure"), semconv.ErrorTypeKey.String(string(c))))
	}
	return o
}

func (in *instruments) buildFailure(f ports.Flow, class string) failureOptions {
	set := attribute.NewSet(FlowKey.String(string(f)), semconv.ErrorTypeKey.String(class))
	return failureOptions{record: recordOpts(set), add: addOpts(set)}
}

func addOpts(s attribute.Set) []metric.AddOption {
	return []metric.AddOption{metric.WithAttributeSet(s)}
}

func recordOpts(s attribute.Set) []metric.RecordOption {
	return []metric.RecordOption{metric.WithAttributeSet(s)}
}

// forFlow returns the options of flow, built now when it is not a known one.
func (in *instruments) forFlow(flow ports.Flow) *flowOptions {
	if o, ok := in.byFlow[flow]; ok {
		return o
	}
	return in.buildFlow(flow)
}

func (in *instruments) lookupOpts(flow ports.Flow, hit bool) []metric.AddOption {
	o := in.forFlow(flow)
	if hit {
		return o.hit
	}
	return o.miss
}

func (in *instruments) flowOnly(flow ports.Flow) []metric.AddOption  { return in.forFlow(flow).flow }
func (in *instruments) refreshOK(flow ports.Flow) []metric.AddOption { return in.forFlow(flow).ok }
func (in *instruments) flowOpts(flow ports.Flow) []metric.RecordOption {
	return in.forFlow(flow).duration
}
func (in *instruments) lockOpts(flow ports.Flow) []metric.RecordOption { return in.forFlow(flow).lock }
func (in *instruments) refreshFailed(flow ports.Flow, class string) []metric.AddOption {
	return in.forFlow(flow).refreshErr[class] // class is one of classes (errorClass)
}

func (in *instruments) failureOpts(flow ports.Flow, class string) failureOptions {
	if o, ok := in.failure[failureKey{flow, class}]; ok {
		return o
	}
	return in.buildFailure(flow, class)
}
