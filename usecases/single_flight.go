package usecases

import (
	"context"

	"github.com/hexauth/hexauth/domain"
	"golang.org/x/sync/singleflight"
)

// shared runs fn once per key at a time in this process and hands its result to every
// caller waiting on that key. fn runs detached from the first caller's cancellation
// (keeping its deadline), so that one caller giving up does not fail the others; each
// caller still stops waiting when its own ctx is done.
func shared(ctx context.Context, g *singleflight.Group, key string, fn func(ctx context.Context) (domain.AuthResult, error)) (domain.AuthResult, error) {
	ch := g.DoChan(key, func() (any, error) {
		work := context.WithoutCancel(ctx)
		if dl, ok := ctx.Deadline(); ok {
			var cancel context.CancelFunc
			work, cancel = context.WithDeadline(work, dl)
			defer cancel()
		}
		return fn(work)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return domain.AuthResult{}, r.Err
		}
		return r.Val.(domain.AuthResult), nil
	case <-ctx.Done():
		return domain.AuthResult{}, ctx.Err()
	}
}
