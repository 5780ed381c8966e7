// Package nearcache is a bounded in-process cache in front of a shared
// ports.CacheStore (SQLite or Postgres) that serves silent cache hits at memory speed
// and stays coherent with the other processes sharing the store.
//
// It is a store decorator: Store wraps any ports.CacheStore and is one. Only the read
// of a silent hit (ports.HitReader's FindHit) is served from memory; Find, writes,
// removals, refresh locks, listing and import/export go to the store, so the read a
// refresh makes after taking the refresh lock always sees the store. Entries are kept
// per query (partition, account, client, environments), least recently used first out
// once their estimated size passes Config.MaxBytes.
//
// Coherence: the store commits, then the near entries of what changed are dropped.
// This process's own Write, Import and RemoveAccount drop them as soon as the store
// returns, whether it succeeded or not (a failed write may have committed). Other
// processes' changes are learnt from the store's optional capabilities:
//
//   - ports.DataVersioner (SQLite's PRAGMA data_version): read at most once per
//     Config.CheckInterval, on the read that finds it due; a new version drops every
//     entry. A near entry is never served more than CheckInterval (plus one version
//     read) after another process committed a change to it.
//   - ports.ChangeListener (Postgres LISTEN/NOTIFY): a session of its own, kept by a
//     reconnect loop with backoff, drops the entries of each account another process
//     changes as the notification arrives (after the commit, within milliseconds).
//     Every (re)connect drops everything. While no session listens, or when the
//     session has not proved for three ping intervals that notifications reach it
//     (ChangeListening, ChangeAlive), an entry is served only until
//     Config.FallbackTTL after it was read from the store.
//   - A store with neither is served with FallbackTTL alone.
//
// Unlike Microsoft.Identity.Web's L1 cache, which expires its entries after a share of
// the L2 TTL and so serves what another node removed for as long as that, a near
// entry here is dropped by the store's own change signals; see docs/operations.md.
package nearcache
