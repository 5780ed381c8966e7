package sqlcache

import (
	"errors"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

// fakeRows serves rows of cells, as a driver would through sql.Rows.
type fakeRows struct {
	rows    []Row
	next    int
	scanErr error // returned by Scan
	err     error // returned by Err
	closed  int
}

func (f *fakeRows) Next() bool {
	if f.next >= len(f.rows) {
		return false
	}
	f.next++
	return true
}

func (f *fakeRows) Scan(dest ...any) error {
	if f.scanErr != nil {
		return f.scanErr
	}
	r := f.rows[f.next-1]
	for i, d := range dest {
		_ = d.(*cell).Scan(r.cells[i].v)
	}
	return nil
}

func (f *fakeRows) Err() error   { return f.err }
func (f *fakeRows) Close() error { f.closed++; return nil }

func TestScan_Entries(t *testing.T) {
	corruptAT := goodRow(KindAccessToken)
	corruptAT.cells[ColSecret].v = nil
	otherEnv := goodRow(KindIDToken)
	otherEnv.cells[ColEnvironment].v = "elsewhere"
	readErr, scanErr := errors.New("connection lost"), errors.New("sql: Rows are closed")
	keepV := func(r *Row) bool { return r.Value(ColEnvironment) == "v" }
	tests := []struct {
		name        string
		rows        fakeRows
		keep        func(*Row) bool
		wantErr     error
		wantEntries int
		wantCorrupt []Kind
	}{
		{"all sound", fakeRows{rows: []Row{goodRow(KindAccessToken), goodRow(KindAccount)}}, nil, nil, 2, nil},
		{"corrupt row skipped", fakeRows{rows: []Row{corruptAT, goodRow(KindRefreshToken)}}, nil, nil, 1, []Kind{KindAccessToken}},
		{"Keep drops before decoding", fakeRows{rows: []Row{otherEnv, goodRow(KindIDToken)}}, keepV, nil, 1, nil},
		{"Keep false for a corrupt row", fakeRows{rows: []Row{corruptAT}}, func(*Row) bool { return false }, nil, 0, nil},
		{"read error fails", fakeRows{rows: []Row{goodRow(KindAccount)}, err: readErr}, nil, readErr, 1, nil},
		{"scan error fails", fakeRows{rows: []Row{goodRow(KindAccount)}, scanErr: scanErr}, nil, scanErr, 0, nil},
		{"no rows", fakeRows{}, nil, nil, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var corrupt []Kind
			s := Scan{Keep: tt.keep, Corrupt: func(r *Row, err error) { corrupt = append(corrupt, r.Kind()) }}
			var snap domain.CacheSnapshot
			err := s.Entries(&tt.rows, &snap)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("Entries = %v; want %v", err, tt.wantErr)
			}
			if snap.Len() != tt.wantEntries {
				t.Errorf("Entries read %d entries; want %d", snap.Len(), tt.wantEntries)
			}
			if len(corrupt) != len(tt.wantCorrupt) || (len(corrupt) > 0 && corrupt[0] != tt.wantCorrupt[0]) {
				t.Errorf("Corrupt told of %v; want %v", corrupt, tt.wantCorrupt)
			}
			if tt.rows.closed == 0 {
				t.Errorf("Entries left the rows open; want them closed")
			}
		})
	}
}

func TestScan_Read(t *testing.T) {
	queryErr := errors.New("no such table")
	corruptAT := goodRow(KindAccessToken)
	corruptAT.cells[ColSecret].v = nil
	tests := []struct {
		name    string
		rows    *fakeRows
		err     error
		wantErr error
		wantLen int
	}{
		{"rows", &fakeRows{rows: []Row{goodRow(KindAccessToken), corruptAT, goodRow(KindAppMetadata)}}, nil, nil, 2},
		{"query error", nil, queryErr, queryErr, 0},
		{"read error empties the snapshot", &fakeRows{rows: []Row{goodRow(KindAccount)}, err: queryErr}, nil, queryErr, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rows Rows
			if tt.rows != nil {
				rows = tt.rows
			}
			snap, err := Scan{Corrupt: func(*Row, error) {}}.Read(rows, tt.err)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) || snap.Len() != tt.wantLen {
				t.Errorf("Read = %d entries, %v; want %d, %v", snap.Len(), err, tt.wantLen, tt.wantErr)
			}
		})
	}
}
