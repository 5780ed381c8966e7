package domain_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

// MSALErrorOf keeps what the provider said under MSAL Python's keys, adds hexauth's
// class, and falls back to the class for errors the provider did not send.
func TestMSALErrorOf(t *testing.T) {
	provider := &domain.Error{Class: domain.ErrInteractionRequired, Code: "invalid_grant", Description: "AADSTS50076: MFA",
		SubError: "basic_action", CorrelationID: "corr-1", ErrorCodes: []int{50076}, Claims: `{"access_token":{}}`,
		TraceID: "trace-1", Timestamp: "2026-01-01 00:00:00Z"}
	for _, c := range []struct {
		name string
		err  error
		want domain.MSALError
	}{
		{"provider error, wrapped", fmt.Errorf("silent: %w", provider), domain.MSALError{Error: "invalid_grant", ErrorClass: "interaction_required",
			ErrorDescription: "AADSTS50076: MFA", SubError: "basic_action", CorrelationID: "corr-1", ErrorCodes: []int{50076},
			Claims: `{"access_token":{}}`, TraceID: "trace-1", Timestamp: "2026-01-01 00:00:00Z"}},
		{"engine error", domain.Errorf(domain.ErrNoTokens, "nothing cached"), domain.MSALError{Error: "no_tokens", ErrorClass: "no_tokens", ErrorDescription: "nothing cached"}},
		{"bare class", domain.ErrInvalidScope, domain.MSALError{Error: "invalid_scope", ErrorClass: "invalid_scope", ErrorDescription: "invalid_scope"}},
		{"other", errors.New("disk full"), domain.MSALError{Error: "failed", ErrorClass: "failed", ErrorDescription: "disk full"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := domain.MSALErrorOf(c.err); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("MSALErrorOf = %+v; want %+v", got, c.want)
			}
		})
	}
	b, err := domain.MSALErrorJSON(provider)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]any
	_ = json.Unmarshal(b, &keys)
	for _, k := range []string{"error", "error_description", "error_codes", "suberror", "correlation_id", "claims"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("MSALErrorJSON lacks MSAL's key %q: %s", k, b)
		}
	}
}
