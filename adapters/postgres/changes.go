package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

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
// only once it is committed. The connection is idle but for a ping every ping interval
// (ChangeAlive on each answer); a ping unanswered within the interval ends the session.
// It needs a session-level connection: through a transaction-pooling proxy
// (PgBouncer's transaction mode), LISTEN does not work.
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
	if _, err := conn.Exec(ctx, "LISTEN "+changeChannel); err != nil {
		return s.listenError(ctx, op, fmt.Errorf("listen: %w", err))
	}
	event(domain.ChangeEvent{Kind: domain.ChangeListening})
	for {
		wctx, cancel := context.WithTimeout(ctx, ping)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			if key, ours := s.parsePayload(n.Payload); ours {
				event(domain.ChangeEvent{Kind: domain.ChangeCommitted, Key: key})
			}
			continue
		case ctx.Err() != nil:
			return s.listenError(ctx, op, ctx.Err())
		case !errors.Is(err, context.DeadlineExceeded) && !conn.PgConn().IsClosed() && !isTimeout(err):
			return s.listenError(ctx, op, fmt.Errorf("wait: %w", err))
		case conn.PgConn().IsClosed():
			return s.listenError(ctx, op, fmt.Errorf("wait: %w", err))
		}
		// Idle for a whole interval: a ping proves that the session (and so its
		// notifications) still reaches the server.
		pctx, cancel := context.WithTimeout(ctx, ping)
		err = conn.Ping(pctx)
		cancel()
		if err != nil {
			return s.listenError(ctx, op, fmt.Errorf("ping: %w", err))
		}
		event(domain.ChangeEvent{Kind: domain.ChangeAlive})
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
