package app

import (
	"context"

	"github.com/hexauth/hexauth/domain"
)

// checkContext refuses a nil context with domain.ErrInvalidInput at every entry point
// of the facade, before anything runs: a nil context would otherwise panic deep inside
// fx, a store or the HTTP client, far from the caller's mistake. The use cases check
// again (and check every other input, docs/errors.md); this covers what runs before
// them (the constructors, the loopback listener, cache import and export).
func checkContext(ctx context.Context, op string) error {
	if ctx == nil {
		return &domain.Error{Class: domain.ErrInvalidInput, Op: "app: " + op, Description: "a nil context.Context was passed"}
	}
	return nil
}
