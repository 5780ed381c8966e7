package domain_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

func TestMergeClientCapabilities(t *testing.T) {
	tests := []struct {
		name   string
		claims string
		caps   []string
		want   string // compared as JSON values
	}{
		{name: "no capabilities keeps the claims", claims: `{"id_token":{"acr":null}}`, want: `{"id_token":{"acr":null}}`},
		{name: "no claims", caps: []string{"cp1"}, want: `{"access_token":{"xms_cc":{"values":["cp1"]}}}`},
		{
			name: "a CAE challenge keeps its nbf", caps: []string{"cp1"},
			claims: `{"access_token":{"nbf":{"essential":true,"value":"1604106651"}}}`,
			want:   `{"access_token":{"nbf":{"essential":true,"value":"1604106651"},"xms_cc":{"values":["cp1"]}}}`,
		},
		{
			name: "other sections are kept", caps: []string{"cp1", "llt"},
			claims: `{"id_token":{"auth_time":{"essential":true}}}`,
			want:   `{"id_token":{"auth_time":{"essential":true}},"access_token":{"xms_cc":{"values":["cp1","llt"]}}}`,
		},
		{
			name: "the client's xms_cc replaces one in the claims", caps: []string{"cp1"},
			claims: `{"access_token":{"xms_cc":{"values":["forged"]}}}`,
			want:   `{"access_token":{"xms_cc":{"values":["cp1"]}}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.MergeClientCapabilities(tt.claims, tt.caps)
			if err != nil {
				t.Fatalf("MergeClientCapabilities(%q, %q) error %v", tt.claims, tt.caps, err)
			}
			if len(tt.caps) == 0 && got != tt.claims {
				t.Fatalf("got %q; want the claims unchanged, byte for byte", got)
			}
			var g, w any
			if err := json.Unmarshal([]byte(got), &g); err != nil {
				t.Fatalf("got %q, not JSON: %v", got, err)
			}
			_ = json.Unmarshal([]byte(tt.want), &w)
			if !reflect.DeepEqual(g, w) {
				t.Fatalf("MergeClientCapabilities(%q, %q) = %s; want %s", tt.claims, tt.caps, got, tt.want)
			}
		})
	}
}

func TestMergeClientCapabilities_refusesClaimsThatAreNoObject(t *testing.T) {
	for _, claims := range []string{`not json`, `null`, `["cp1"]`, `"s3cr3t-canary"`, `{"access_token":"x"}`, `{"access_token":null}`} {
		_, err := domain.MergeClientCapabilities(claims, []string{"cp1"})
		if !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("MergeClientCapabilities(%q) error = %v; want ErrInvalidInput", claims, err)
		}
		if err != nil && strings.Contains(err.Error(), claims) {
			t.Errorf("error %q quotes the claims", err)
		}
	}
}

func TestCheckClientCapabilities(t *testing.T) {
	if err := domain.CheckClientCapabilities([]string{"cp1", "llt"}); err != nil {
		t.Fatalf("cp1, llt: %v; want nil", err)
	}
	for name, caps := range map[string][]string{
		"empty":     {""},
		"control":   {"cp1\n"},
		"too long":  {strings.Repeat("c", domain.MaxClientCapabilityBytes+1)},
		"non-ASCII": {"cp\u00e9"},
		"too many":  make([]string, domain.MaxClientCapabilities+1),
	} {
		if err := domain.CheckClientCapabilities(caps); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("%s: error = %v; want ErrInvalidInput", name, err)
		}
	}
}
