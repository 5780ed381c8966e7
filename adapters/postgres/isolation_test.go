package postgres_test

import (
	"testing"

	"github.com/hexauth/hexauth/adapters/postgres"
	"github.com/hexauth/hexauth/domain"
)

// TestStore_schemas_isolated writes through a store in one schema and checks that a
// store in another schema of the same database sees and changes none of it.
func TestStore_schemas_isolated(t *testing.T) {
	a, b := postgres.OpenTestStore(t, postgres.Config{}), postgres.OpenTestStore(t, postgres.Config{})
	env, client := "login.example.com", "c"
	at := domain.AccessToken{HomeAccountID: "h", Environment: env, ClientID: client, Realm: "r", Target: "read", Secret: "at-a"}
	acct := domain.Account{HomeAccountID: "h", Environment: env, Realm: "r", Username: "u@example.com"}
	md := domain.AppMetadata{ClientID: client, Environment: env}
	w := domain.CacheWrite{Partition: "p", AccessToken: &at, Account: &acct, AppMetadata: &md}
	if err := a.Write(t.Context(), w); err != nil {
		t.Fatalf("Write in schema A = %v; want nil", err)
	}
	q := domain.CacheQuery{Partition: "p", HomeAccountID: "h", ClientID: client}
	if got, err := b.Find(t.Context(), q); err != nil || len(got.AccessTokens)+len(got.Accounts)+len(got.AppMetadata) != 0 {
		t.Errorf("Find in schema B = %+v, %v; want nothing of schema A", got, err)
	}
	if got, err := b.Accounts(t.Context(), domain.AccountFilter{Partition: "p", Username: "u@example.com"}); err != nil || len(got) != 0 {
		t.Errorf("Accounts in schema B = %v, %v; want none", got, err)
	}
	if got, err := b.Export(t.Context(), "p"); err != nil || got.Len() != 0 {
		t.Errorf("Export in schema B = %d entries, %v; want 0", got.Len(), err)
	}
	if err := b.RemoveAccount(t.Context(), domain.AccountRemoval{Partition: "p", HomeAccountID: "h", ClientID: client}); err != nil {
		t.Errorf("RemoveAccount in schema B = %v; want nil", err)
	}
	if got, err := a.Find(t.Context(), q); err != nil || len(got.AccessTokens) != 1 || len(got.Accounts) != 1 {
		t.Errorf("Find in schema A after RemoveAccount in B = %d access tokens, %d accounts, %v; want 1, 1, nil",
			len(got.AccessTokens), len(got.Accounts), err)
	}
}
