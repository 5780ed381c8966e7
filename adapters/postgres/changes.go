package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/sqlcache"
	"github.com/hexauth/hexauth/ports"
)

var _ ports.ChangeListener = (*Store)(nil)

// changeChannel is the one NOTIFY channel of every schema. It is a constant: nothing a
// caller passes ever becomes part of a statement's text. Stores of other schemas on the
// same database share it and tell their notifications apart by the payload.
const changeChannel = "hexauth_cache"

// maxPayload bounds the payloads a listener parses; anything longer is not ours.
// Ours are at most 63 (schema) + 1 + 32 bytes, far under NOTIFY's 8000.
const maxPayload = 128

// changePayload is the NOTIFY payload of a change to the entries of the account whose
// domain.ChangeKey is key, or to anything in the schema when key is "":
// "<schema>:<key>" or "<schema>:*". It holds no token, partition or account id.
func (s *Store) changePayload(key string) string {
	if key == "" {
		key = "*"
	}
	return s.schema + ":" + key
}

// writePayloads are the payloads of w's transaction: one per account it changes, or a
// change of anything when it may change entries it does not name.
func (s *Store) writePayloads(w domain.CacheWrite) []string {
	accounts, all := w.ChangedAccounts()
	if all {
		return []string{s.changePayload("")}
	}
	if len(accounts) == 0 { // app metadata alone: no account's entries, but say something
		accounts = []string{""}
	}
	out := make([]string, len(accounts))
	for i, a := range accounts {
		out[i] = s.changePayload(domain.ChangeKey(w.Partition, a))
	}
	return out
}

// parsePayload reads a payload of changeChannel: ok is false for another schema's (or
// anything not ours); key is "" when the change may concern any entry (a flush), which
// is also how a payload of this schema that cannot be read is taken.
func (s *Store) parsePayload(p string) (key string, ok bool) {
	if len(p) > maxPayload || !strings.HasPrefix(p, s.schema+":") {
		return "", false
	}
	rest := p[len(s.schema)+1:]
	if len(rest) != domain.ChangeKeyLen || strings.Trim(rest, "0123456789abcdef") != "" {
		return "", true
	}
	return rest, true
}

// ListenChanges implements ports.ChangeListener: it opens a connection of its own (not
// from the pools), LISTENs on changeChannel and reports the notifications of this
// store's schema. Every Write, Import and RemoveAccount notifies in its own
// transaction, so a rolled-back one notifies nothing, and a listener hears of a change
// only once it is committed.
//
// The session proves that notifications reach it before it reports ChangeListening,
// and again each time it has been idle for the ping interval (ChangeAlive): a
// connection of the store's pool notifies a channel only this session listens on, and
// the session waits for that notification within the interval, or ends. A plain ping
// would prove the connection, not the LISTEN: through a transaction-pooling proxy
// (PgBouncer's transaction mode) every query answers while the notifications reach a
// server connection that is idle in the proxy's pool, and are lost; a near cache
// trusting such a session would serve what another process removed for as long as the
// entry lives. Such a session never listens, so the near cache keeps to its
// FallbackTTL. Each probe takes a pool connection for one statement.
func (s *Store) ListenChanges(ctx context.Context, ping time.Duration, event func(domain.ChangeEvent)) error {
	const op = "listen"
	if err := s.begin(ctx, op); err != nil {
		return err
	}
	if ping <= 0 {
		return inputError(op, fmt.Errorf("ping interval %s is not positive", ping))
	}
	// Close ends the session too.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		select {
		case <-s.life.Done():
			stop()
		case <-ctx.Done():
		}
	}()
	conn, err := pgx.ConnectConfig(ctx, s.listen)
	if err != nil {
		return s.listenError(ctx, op, fmt.Errorf("connect: %w", err))
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	pr, err := newProbe()
	if err != nil {
		return s.listenError(ctx, op, err)
	}
	// Both names are ours (a constant, and random hex): nothing a caller passes is
	// built into the statement.
	if _, err := conn.Exec(ctx, "LISTEN "+changeChannel+"; LISTEN "+pr.channel); err != nil {
		return s.listenError(ctx, op, fmt.Errorf("listen: %w", err))
	}
	// Notifications before the session is known to listen are covered by the drop
	// that ChangeListening asks for: none is reported. The first probe may take longer
	// than a ping interval (a pool connection to open, a loaded machine): nothing is
	// trusted until it arrives.
	if err := s.probe(ctx, conn, &pr, max(ping, firstProbeWait), nil); err != nil {
		return s.listenError(ctx, op, err)
	}
	event(domain.ChangeEvent{Kind: domain.ChangeListening})
	for {
		wctx, cancel := context.WithTimeout(ctx, ping)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			s.report(n, event)
			continue
		case ctx.Err() != nil:
			return s.listenError(ctx, op, ctx.Err())
		case !errors.Is(err, context.DeadlineExceeded) && !conn.PgConn().IsClosed() && !isTimeout(err):
			return s.listenError(ctx, op, fmt.Errorf("wait: %w", err))
		case conn.PgConn().IsClosed():
			return s.listenError(ctx, op, fmt.Errorf("wait: %w", err))
		}
		// Idle for a whole interval: a probe proves that the session still reaches the
		// server and that the server's notifications still reach it.
		if err := s.probe(ctx, conn, &pr, ping, event); err != nil {
			return s.listenError(ctx, op, err)
		}
		event(domain.ChangeEvent{Kind: domain.ChangeAlive})
	}
}

// firstProbeWait bounds the wait for a session's first probe when the ping interval is
// shorter.
const firstProbeWait = 5 * time.Second

// probe is a session's own notification channel and the number of its last probe.
type probe struct {
	channel string
	seq     uint64
}

// newProbe names a probe channel no other session listens on.
func newProbe() (probe, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return probe{}, fmt.Errorf("probe channel: %w", err)
	}
	return probe{channel: "hexauth_probe_" + hex.EncodeToString(b[:])}, nil
}

// probe notifies pr's channel from another session (a connection of the store's pool)
// and waits, at most ping, for that notification to reach the listening session. From
// another session, because that is what a listener must hear: through a
// transaction-pooling proxy the listening session's own NOTIFY often runs on the very
// server connection its LISTEN ran on, and comes back, while every other session's
// reaches that server connection when it is idle in the proxy's pool, and is lost. The
// notifications of changeChannel that arrive meanwhile are reported to event (dropped
// when event is nil); an earlier probe's late answer is skipped.
func (s *Store) probe(ctx context.Context, conn *pgx.Conn, pr *probe, ping time.Duration, event func(domain.ChangeEvent)) error {
	pr.seq++
	want := strconv.FormatUint(pr.seq, 10)
	pctx, cancel := context.WithTimeout(ctx, ping)
	defer cancel()
	if _, err := s.db.ExecContext(pctx, "SELECT pg_notify($1, $2)", pr.channel, want); err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	for {
		n, err := conn.WaitForNotification(pctx)
		if err != nil {
			if ctx.Err() == nil && pctx.Err() != nil {
				return fmt.Errorf("probe: a notification sent from another session did not arrive within %s: notifications do not reach this session (a transaction-pooling proxy?)", ping)
			}
			return fmt.Errorf("probe: %w", err)
		}
		if n.Channel == pr.channel {
			if n.Payload == want {
				return nil
			}
			continue
		}
		if event != nil {
			s.report(n, event)
		}
	}
}

// report passes a notification of changeChannel on to event when it is this schema's.
func (s *Store) report(n *pgconn.Notification, event func(domain.ChangeEvent)) {
	if n.Channel != changeChannel {
		return // an earlier probe's late answer
	}
	if key, ours := s.parsePayload(n.Payload); ours {
		event(domain.ChangeEvent{Kind: domain.ChangeCommitted, Key: key})
	}
}

// listenError classifies a session's end: after Close it is the closed store's error.
func (s *Store) listenError(ctx context.Context, op string, err error) error {
	if s.life.Check(context.Background()) != nil {
		err = sqlcache.ErrClosed
	}
	return storeError(ctx, op, err)
}

// isTimeout reports whether err is a read deadline passing, which leaves a pgx
// connection usable.
func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
