package usecases_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

// reportServerCPU starts measuring the CPU time of the server processes serving store
// and returns the function that reports it per operation as "server-cpu-ns/op": the
// part of a hit spent in the database server, which wall-clock ns/op hides under the
// waits for the other helpers' work on a shared machine. It reports nothing for a store
// without server processes on this machine, or when one of them could not be read at
// the start or ended during the loop (its time would be lost).
func reportServerCPU(b *testing.B, store benchStore) func() {
	if store.serverCPU == nil {
		return func() {}
	}
	ctx := context.Background()
	start, ok := store.serverCPU(ctx)
	return func() {
		if !ok || b.N == 0 {
			return
		}
		end, ok := store.serverCPU(ctx)
		if !ok {
			return
		}
		var used int64
		for pid, t := range end {
			// A process that started during the loop (a connection the pool opened)
			// counts from zero: its start-up is part of the loop's server work.
			used += t - start[pid]
		}
		for pid := range start {
			if _, live := end[pid]; !live {
				return
			}
		}
		b.ReportMetric(float64(used)/float64(b.N), "server-cpu-ns/op")
	}
}

// postgresServerCPU returns benchStore.serverCPU for a store whose connections carry
// the application name app on the server of dsn, nil when that server is not on this
// machine (a host that is neither loopback nor a Unix socket). It finds the store's
// backends in pg_stat_activity, through admin (whose own backend has another name), and
// reads their CPU time from /proc: the process ids are the server's, so they are this
// machine's only when the server runs in this process namespace, which the process
// name "postgres" checks.
func postgresServerCPU(dsn string, admin *sql.DB, app string) func(ctx context.Context) (map[int]int64, bool) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil || !localHost(cfg.Host) {
		return nil
	}
	return func(ctx context.Context) (map[int]int64, bool) {
		rows, err := admin.QueryContext(ctx, `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, app)
		if err != nil {
			return nil, false
		}
		defer rows.Close()
		out := map[int]int64{}
		for rows.Next() {
			var pid int
			if err := rows.Scan(&pid); err != nil {
				return nil, false
			}
			t, ok := procCPU(pid)
			if !ok {
				return nil, false
			}
			out[pid] = t
		}
		return out, rows.Err() == nil && len(out) > 0
	}
}

// localHost reports whether a libpq host is this machine: a Unix socket directory or
// a loopback name or address.
func localHost(host string) bool {
	if strings.HasPrefix(host, "/") || host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// procCPU returns the user plus system CPU time, in nanoseconds, of the postgres
// process pid, from /proc/PID/stat (fields 14 and 15, in clock ticks); false when it is
// unreadable or not a postgres process.
func procCPU(pid int) (int64, bool) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name, in parentheses, may hold spaces: the fields follow its last ')'.
	open, end := bytes.IndexByte(raw, '('), bytes.LastIndexByte(raw, ')')
	if open < 0 || end < open || string(raw[open+1:end]) != "postgres" {
		return 0, false
	}
	f := strings.Fields(string(raw[end+1:])) // f[0] is field 3, the state
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return (utime + stime) * (1e9 / clockTicks()), true
}

// clockTicks is the kernel's clock ticks per second (sysconf(_SC_CLK_TCK)), which the
// kernel passes every process in its auxiliary vector (AT_CLKTCK); 100, Linux's
// USER_HZ, when that cannot be read.
var clockTicks = sync.OnceValue(func() int64 {
	const atClkTck = 17
	raw, err := os.ReadFile("/proc/self/auxv")
	for err == nil && len(raw) >= 16 {
		k, v := binary.NativeEndian.Uint64(raw), binary.NativeEndian.Uint64(raw[8:])
		if k == atClkTck && v > 0 && v <= 1e9 {
			return int64(v)
		}
		raw = raw[16:]
	}
	return 100
})

// withApplicationName returns dsn, a URL or key=value connection string, with the
// application name app.
func withApplicationName(dsn, app string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("application_name", app)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " application_name=" + app
}
