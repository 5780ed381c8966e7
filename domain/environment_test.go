package domain_test

import (
	"slices"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

func TestExpandEnvironments_addsEveryAliasOnce(t *testing.T) {
	tests := []struct {
		envs, want []string
	}{
		{nil, nil},
		{[]string{"Login.Example.com"}, []string{"login.example.com"}},
		{[]string{"STS.windows.net", "login.windows.net"},
			[]string{"sts.windows.net", "login.microsoftonline.com", "login.windows.net", "login.microsoft.com"}},
		{[]string{"login.microsoftonline.us"}, []string{"login.microsoftonline.us", "login.usgovcloudapi.net"}},
	}
	for _, tt := range tests {
		if got := domain.ExpandEnvironments(tt.envs); !slices.Equal(got, tt.want) {
			t.Errorf("ExpandEnvironments(%q) = %q; want %q", tt.envs, got, tt.want)
		}
	}
}

func TestEnvironmentAliasGroups_isACopyLedByTheCanonicalHost(t *testing.T) {
	groups := domain.EnvironmentAliasGroups()
	for _, g := range groups {
		for _, h := range g {
			if got := domain.CanonicalEnvironment(h); got != g[0] {
				t.Errorf("CanonicalEnvironment(%q) = %q; want %q, the group's first host", h, got, g[0])
			}
		}
	}
	groups[0][0] = "changed.example"
	if domain.EnvironmentAliasGroups()[0][0] == "changed.example" {
		t.Errorf("EnvironmentAliasGroups returned the package's own slices; want a copy")
	}
}
