package memory

import (
	"context"

	"github.com/hexauth/hexauth/ports"
)

var _ ports.PartitionClearer = (*Store)(nil)

// ClearPartition implements ports.PartitionClearer: the partition is dropped whole,
// under the store's lock. A write racing with it lands either before (and is cleared)
// or in the dropped partition (and is gone), as if it had come first.
func (s *Store) ClearPartition(ctx context.Context, partition string) error {
	const op = "clear partition"
	if err := s.begin(ctx, op); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.parts == nil {
		return storeErr(op, errClosed)
	}
	delete(s.parts, partition)
	return nil
}
