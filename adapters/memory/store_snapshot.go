package memory

import (
	"context"
	"maps"
	"slices"

	"github.com/hexauth/hexauth/domain"
)

// Export returns copies of every entry of partition. An empty or unknown partition
// exports an empty snapshot.
func (s *Store) Export(ctx context.Context, partition string) (domain.CacheSnapshot, error) {
	p, err := s.partition(ctx, "export", partition, false)
	if err != nil || p == nil {
		return domain.CacheSnapshot{}, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out domain.CacheSnapshot
	for _, pk := range p.buckets {
		b := unpackInto(&bucket{}, pk)
		out.AccessTokens = append(out.AccessTokens, b.accessTokens...) // unpacked fresh: nothing shared
		out.RefreshTokens = append(out.RefreshTokens, b.refreshTokens...)
		out.IDTokens = append(out.IDTokens, b.idTokens...)
		out.Accounts = append(out.Accounts, b.accounts...)
	}
	for _, byKey := range p.appMetadata {
		for _, m := range byKey {
			out.AppMetadata = append(out.AppMetadata, cloneAppMetadata(m))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(p.foreign)) {
		out.ForeignSections = append(out.ForeignSections, cloneForeignSection(domain.ForeignSection{Name: name, Value: p.foreign[name]}))
	}
	return out, nil
}

// Import upserts every entry of snap into partition atomically; refresh tokens obey
// the ordering of Write, and entries not in snap are kept. An entry whose Extra holds a
// value that is not JSON fails the whole import and nothing of it is stored.
func (s *Store) Import(ctx context.Context, partition string, snap domain.CacheSnapshot) error {
	if err := s.begin(ctx, "import"); err != nil {
		return err
	}
	c, err := copySnapshot(snap)
	if err != nil {
		return storeErr("import", err)
	}
	p, err := s.partition(ctx, "import", partition, true)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.edit()
	kept := p.apply(e, c)
	e.commit()
	if kept > 0 {
		s.log.DebugContext(ctx, "memory: import kept newer refresh tokens", "partition", partition, "kept", kept)
	}
	return nil
}
