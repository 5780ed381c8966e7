package domain

import (
	"slices"
)

// ExpandEnvironments returns envs with every alias of each (EnvironmentAliases),
// lower-cased and without repeats; nil when envs is empty (every environment). Stores
// that filter with a list (SQL IN, ANY) expand it so that a host matches its aliases on
// every path (DESIGN §3), whichever alias the caller or the writer of the entry used.
func ExpandEnvironments(envs []string) []string {
	if len(envs) == 0 {
		return nil
	}
	var out []string
	for _, e := range envs {
		for _, a := range EnvironmentAliases(e) {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// EnvironmentAliasGroups returns a copy of the known alias groups, each led by its
// canonical host (CanonicalEnvironment): SQL stores build from it the expression that
// compares two rows' environments by cloud rather than by host.
func EnvironmentAliasGroups() [][]string {
	out := make([][]string, len(entraAliasGroups))
	for i, g := range entraAliasGroups {
		out[i] = slices.Clone(g)
	}
	return out
}
