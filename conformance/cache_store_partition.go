package conformance

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// The same account in two partitions: the zero partition and a tenant's.
var (
	inZero   = who{partition: "", home: "h", env: "login.example.com", realm: "r", client: "c", username: "u@x"}
	inTenant = who{partition: "tenant-42", home: "h", env: "login.example.com", realm: "r", client: "c", username: "u@x"}
)

func partitionCases() []storeCase {
	return []storeCase{
		{"Find", func(t *testing.T, s ports.CacheStore) {
			mustWrite(t, s, inTenant.write("tenant"))
			for _, p := range []string{"", "tenant-43", "TENANT-42"} {
				q := inTenant.query()
				q.Partition = p
				sameFound(t, fmt.Sprintf("Find(%+v) with the account cached only in partition %q", q, inTenant.partition), mustFind(t, s, q), domain.CacheEntries{})
			}
		}},
		{"Write", func(t *testing.T, s ports.CacheStore) {
			mustWrite(t, s, inZero.write("zero"))
			mustWrite(t, s, inTenant.write("tenant"))
			sameFound(t, fmt.Sprintf("Find(%+v) after writing the same keys in two partitions", inZero.query()), mustFind(t, s, inZero.query()), entriesOf(inZero.write("zero")))
			sameFound(t, fmt.Sprintf("Find(%+v) after writing the same keys in two partitions", inTenant.query()), mustFind(t, s, inTenant.query()), entriesOf(inTenant.write("tenant")))
		}},
		{"DeleteAccessTokens", func(t *testing.T, s ports.CacheStore) {
			mustWrite(t, s, inZero.write("zero"))
			at := inTenant.accessToken("read write", "tenant")
			w := domain.CacheWrite{Partition: inTenant.partition, DeleteAccessTokens: [][6]string{at.KeyFields()}}
			mustWrite(t, s, w)
			got := mustFind(t, s, inZero.query())
			sameEntries(t, fmt.Sprintf("Find(%+v) after Write(%s) in another partition", inZero.query(), describeWrite(w)), "access token",
				got.AccessTokens, []domain.AccessToken{*inZero.write("zero").AccessToken})
		}},
		{"RefreshTokenOrder", func(t *testing.T, s ports.CacheStore) {
			newer := inZero.refreshToken("newer", base.Add(time.Hour))
			mustWrite(t, s, domain.CacheWrite{Partition: inZero.partition, RefreshToken: &newer})
			older := inTenant.refreshToken("older", base)
			mustWrite(t, s, domain.CacheWrite{Partition: inTenant.partition, RefreshToken: &older})
			sameEntries(t, fmt.Sprintf("Find(%+v) (a newer refresh token in another partition does not count)", inTenant.query()),
				"refresh token", mustFind(t, s, inTenant.query()).RefreshTokens, []domain.RefreshToken{older})
		}},
		{"Accounts", func(t *testing.T, s ports.CacheStore) {
			mustWrite(t, s, inTenant.write("tenant"))
			wantAccounts(t, s, domain.AccountFilter{Partition: ""}, "accounts of another partition are not listed")
			wantAccounts(t, s, domain.AccountFilter{Partition: "", Username: inTenant.username}, "accounts of another partition are not listed")
			wantAccounts(t, s, domain.AccountFilter{Partition: "", ClientID: inTenant.client}, "accounts of another partition are not listed")
			wantAccounts(t, s, domain.AccountFilter{Partition: inTenant.partition}, "the partition's own account", "h@login.example.com")
		}},
		{"RemoveAccount", func(t *testing.T, s ports.CacheStore) {
			mustWrite(t, s, inZero.write("zero"))
			mustWrite(t, s, inTenant.write("tenant"))
			r := domain.AccountRemoval{Partition: inTenant.partition, HomeAccountID: "h", ClientID: "c"}
			mustRemove(t, s, r)
			sameFound(t, fmt.Sprintf("Find(%+v) after RemoveAccount(%+v)", inZero.query(), r), mustFind(t, s, inZero.query()), entriesOf(inZero.write("zero")))
		}},
		{"Export", func(t *testing.T, s ports.CacheStore) {
			mustWrite(t, s, inZero.write("zero"))
			mustWrite(t, s, inTenant.write("tenant"))
			sameSnapshot(t, fmt.Sprintf("Export(%q)", inTenant.partition), mustExport(t, s, inTenant.partition), snapshotOf(inTenant.write("tenant")))
			sameSnapshot(t, "Export(\"\")", mustExport(t, s, ""), snapshotOf(inZero.write("zero")))
		}},
		{"Import", func(t *testing.T, s ports.CacheStore) {
			mustWrite(t, s, inZero.write("zero"))
			snap := snapshotOf(inTenant.write("tenant"))
			mustImport(t, s, inTenant.partition, snap)
			sameSnapshot(t, fmt.Sprintf("Export(\"\") after Import(%q, …)", inTenant.partition), mustExport(t, s, ""), snapshotOf(inZero.write("zero")))
			sameSnapshot(t, fmt.Sprintf("Export(%q) after Import(%q, …)", inTenant.partition, inTenant.partition), mustExport(t, s, inTenant.partition), snap)
		}},
		{"RefreshLock", testPartitionRefreshLock},
	}
}

// testPartitionRefreshLock holds a lock key in one partition and takes the same key in
// another: it must not wait.
func testPartitionRefreshLock(t *testing.T, s ports.CacheStore) {
	key := domain.RefreshLockKey{Partition: "tenant-a", HomeAccountID: "h", ClientID: "c", Environment: "login.example.com", Realm: "r"}
	other := key
	other.Partition = "tenant-b"
	held, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.WithRefreshLock(context.Background(), key, func(context.Context) error {
			close(held)
			<-release
			return nil
		})
	}()
	defer func() {
		close(release)
		if err := <-done; err != nil {
			t.Errorf("WithRefreshLock(%q) = %v; want nil", key, err)
		}
	}()
	<-held
	wantLockFree(t, s, other, fmt.Sprintf("while %q is held (partitions never block each other)", key))
}
