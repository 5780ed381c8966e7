package ports

import "context"

//go:generate go run github.com/golang/mock/mockgen@v1.6.0 -source=browser.go -destination=mocks/browser.go -package=mocks

// Browser opens a URL for interactive sign-in (public clients). Open returns once the
// browser was asked to open the URL, not when the user finishes; ctx bounds only that.
// Implementations are safe for concurrent use: two interactive sign-ins may run at once.
type Browser interface {
	Open(ctx context.Context, url string) error
}
