package usecases

import (
	"context"
	"errors"

	"github.com/hexauth/hexauth/domain"
)

// Every flow checks its caller's input at its start, before any provider or store
// call (the bounds are domain's Max* constants), and classifies a context that ended as
// one rule says (docs/errors.md "Deadlines and cancellation"):
//
//   - a nil context is ErrInvalidInput, never a panic;
//   - a context that is done before the flow starts, or ends while the flow waits on
//     the provider, a shared request or a backoff, is ErrUnavailable wrapping
//     ctx.Err(), so errors.Is(err, context.DeadlineExceeded) (or context.Canceled)
//     still holds. Cancellation is classed like a deadline: both say "no answer in the
//     time allowed", and callers who care tell them apart with errors.Is;
//   - a context that ends inside a store call is ErrCacheStore wrapping ctx.Err() on
//     every store (the stores say so themselves, and a bare context error from a store
//     is wrapped the same way): after the provider answered, that is what returns the
//     tokens with the error (DESIGN §3 "Rotation never loses a credential").

// checkContext refuses a nil context (ErrInvalidInput) and one already done
// (ErrUnavailable wrapping ctx.Err()), so that no port is called in vain.
func checkContext(ctx context.Context, op string) error {
	if ctx == nil {
		return &domain.Error{Class: domain.ErrInvalidInput, Op: op, Description: "a nil context.Context was passed"}
	}
	if err := ctx.Err(); err != nil {
		return contextDone(op, err)
	}
	return nil
}

// contextDone is the error of a flow whose context ended outside a store call.
func contextDone(op string, err error) error {
	return &domain.Error{Class: domain.ErrUnavailable, Op: op, Description: "the context ended before the flow finished", Err: err}
}

// classifyDone is applied to every error a flow returns: a context error that no port
// classified (a bare context.DeadlineExceeded from a shared call's wait, or from an
// adapter that returns ctx.Err() as is) becomes ErrUnavailable wrapping it, so that a
// deadline is the same class on every flow.
func classifyDone(op string, err error) error {
	if err == nil {
		return nil // before errors.As, whose target would cost an allocation per call
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return contextDone(op, err)
	}
	return err
}

// lockErr classifies what a store's WithRefreshLock returned: fn's own error as fn
// returned it; anything else (the lock could not be taken, or its transaction failed)
// is the store's.
func lockErr(op string, err, fnErr error) error {
	if err == nil || (fnErr != nil && errors.Is(err, fnErr)) {
		return err
	}
	return storeErr(op, err)
}

// checkOptional runs the checks of the optional fields every token request may carry,
// before any port is called: claims the client's capabilities cannot be merged into are
// refused here, not after a cache read or a lock.
func (e *engine) checkOptional(claims, correlationID string) error {
	if err := domain.CheckClaims(claims); err != nil {
		return err
	}
	if _, err := e.requestClaims(claims); err != nil {
		return err
	}
	return domain.CheckCorrelationID(correlationID)
}

// firstErr returns the first non-nil error, or nil.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
