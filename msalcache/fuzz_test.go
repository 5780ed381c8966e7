package msalcache_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/msalcache"
)

// FuzzDecode checks, for any input, that Decode never panics; that a refusal is an
// invalid_input *domain.Error wrapping an *EntryError, with no snapshot; and that what
// it accepts encodes, reads back to the same snapshot with nothing left out, and encodes
// to the same bytes again.
func FuzzDecode(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds in testdata: %v", err)
	}
	for _, file := range files {
		f.Add(readSample(f, file[len("testdata/"):]))
	}
	f.Add([]byte(sampleDocument))
	f.Add([]byte("\uFEFF{\"accesstoken\": {\"k\": {\"environment\": \"e\", \"client_id\": \"c\", \"target\": \"s\", \"secret\": \"x\", \"cached_at\": 1.5e3}}} \n"))
	f.Add([]byte(`{"RefreshToken": {"k": {"home_account_id": "h", "environment": "e", "client_id": "c--x", "target": "y", "secret": "b", "last_modification_time": "7"},` +
		`"l": {"home_account_id": "h", "environment": "e", "client_id": "c", "target": "x--y", "secret": "a", "family_id": "1"}}}`))
	f.Add([]byte(`{"Account": {"k": {"home_account_id": "h", "environment": "e", "Name": "n", "x": [1, {"y": "<&>"}]}}}`))
	f.Add([]byte(`{"IdToken": {"k": {"home_account_id": "h", "environment": "e", "client_id": 1}}}`))
	f.Add([]byte(`{"AppMetadata": [`))

	f.Fuzz(func(t *testing.T, data []byte) {
		s, rep, err := msalcache.DecodeReport(data)
		if err != nil {
			var ee *msalcache.EntryError
			var de *domain.Error
			if !errors.As(err, &de) || !errors.Is(err, domain.ErrInvalidInput) || !errors.As(err, &ee) {
				t.Fatalf("DecodeReport error = %v (%T); want an invalid_input *domain.Error wrapping an *EntryError", err, err)
			}
			if s.Len() != 0 || !rep.Empty() || rep.Imported != (msalcache.Counts{}) {
				t.Fatalf("DecodeReport returned %d entries and %+v with an error; want none", s.Len(), rep)
			}
			return
		}
		if want := countsOf(s); rep.Imported != want {
			t.Fatalf("Report.Imported = %+v; want the snapshot's %+v", rep.Imported, want)
		}
		out, err := msalcache.Encode(s)
		if err != nil {
			t.Fatalf("Encode of a decoded snapshot: %v", err)
		}
		back, rep2, err := msalcache.DecodeReport(out)
		if err != nil {
			t.Fatalf("Decode(Encode(s)): %v\n%s", err, out)
		}
		if !rep2.Empty() || rep2.Imported != rep.Imported {
			t.Fatalf("re-reading the export gave %+v; want nothing left out and %+v imported\n%s", rep2, rep.Imported, out)
		}
		if d := snapshotDiff(back, s); d != "" {
			t.Fatalf("Decode(Encode(s)) differs from s: %s\n%s", d, out)
		}
		again, err := msalcache.Encode(back)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("Encode is not stable (err %v):\n%s\n---\n%s", err, out, again)
		}
	})
}
