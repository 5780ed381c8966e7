package app_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// A provider controls the authorization endpoint: a URL of another scheme than http(s)
// is never handed to the system's URL handler, which would open a file or a program.
func TestOpenSystemBrowser_opensOnlyHTTPURLs(t *testing.T) {
	for _, u := range []string{"file:///etc/passwd", "javascript:alert(1)", "ms-settings:", "/relative", "http:///nohost", "smb://host/share"} {
		if err := app.OpenSystemBrowser(context.Background(), u); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("OpenSystemBrowser(%q) = %v; want ErrInvalidInput", u, err)
		}
	}
}
