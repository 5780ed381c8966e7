package domain

import (
	"log/slog"
	"strings"
)

// The types below hold secrets. Secret redacts itself through fmt and as a log/slog
// value of its own, but slog's JSON handler renders a struct with encoding/json, which
// never asks a field how to log itself. Each type therefore implements slog.LogValuer,
// so that logging one with any handler shows what it is, never the secret it holds.

func secretAttr(key string, s Secret) slog.Attr { return slog.String(key, s.String()) }

// LogValue implements slog.LogValuer: the token logs as its cache key.
func (t AccessToken) LogValue() slog.Value { return slog.StringValue(t.String()) }

// LogValue implements slog.LogValuer: the token logs as its cache key.
func (t RefreshToken) LogValue() slog.Value { return slog.StringValue(t.String()) }

// LogValue implements slog.LogValuer: the token logs as its cache key.
func (t IDToken) LogValue() slog.Value { return slog.StringValue(t.String()) }

// LogValue implements slog.LogValuer with the tokens redacted.
func (r TokenResponse) LogValue() slog.Value {
	return slog.GroupValue(
		secretAttr("access_token", r.AccessToken), slog.String("token_type", r.TokenType),
		slog.Duration("expires_in", r.ExpiresIn), slog.Duration("ext_expires_in", r.ExtExpiresIn),
		slog.Duration("refresh_in", r.RefreshIn), secretAttr("refresh_token", r.RefreshToken),
		secretAttr("id_token", r.IDToken), slog.Any("scope", r.Scope), slog.String("family_id", r.FamilyID),
		slog.String("correlation_id", r.CorrelationID),
	)
}

// LogValue implements slog.LogValuer with the tokens redacted.
func (r AuthResult) LogValue() slog.Value {
	return slog.GroupValue(
		secretAttr("access_token", r.AccessToken), slog.String("token_type", r.TokenType),
		slog.Time("expires_on", r.ExpiresOn), slog.Time("refresh_on", r.RefreshOn), slog.Any("scopes", r.Scopes),
		secretAttr("id_token", r.IDToken), secretAttr("refresh_token", r.RefreshToken),
		slog.Group("account", "home_account_id", r.Account.HomeAccountID, "environment", r.Account.Environment, "realm", r.Account.Realm),
		slog.String("token_source", string(r.TokenSource)), slog.String("correlation_id", r.CorrelationID),
	)
}

// LogValue implements slog.LogValuer with the code verifier, state and nonce redacted
// and the authorization URL without its query (which holds the state and nonce).
func (f AuthCodeFlow) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("auth_uri", withoutQuery(f.AuthURI)), secretAttr("state", Secret(f.State)), secretAttr("nonce", Secret(f.Nonce)),
		secretAttr("code_verifier", f.CodeVerifier), slog.String("redirect_uri", f.RedirectURI),
		slog.Any("scope", f.Scopes), slog.String("authority", f.Authority), slog.Time("created_at", f.CreatedAt),
	)
}

// withoutQuery returns u without its query and fragment.
func withoutQuery(u string) string {
	u, _, _ = strings.Cut(u, "#")
	u, _, _ = strings.Cut(u, "?")
	return u
}

// LogValue implements slog.LogValuer with the verifier redacted.
func (p PKCE) LogValue() slog.Value {
	return slog.GroupValue(secretAttr("verifier", p.Verifier), slog.String("challenge", p.Challenge))
}

// LogValue implements slog.LogValuer with the authorization code and state redacted.
// The provider's error text is left out: log lines carry codes, not free text (DESIGN
// §5).
func (r AuthResponse) LogValue() slog.Value {
	return slog.GroupValue(
		secretAttr("code", r.Code), secretAttr("state", Secret(r.State)), slog.String("iss", r.Issuer),
		slog.String("error", EscapeControl(truncate(r.Error, maxErrorField))),
		slog.String("suberror", EscapeControl(truncate(r.SubError, maxErrorField))),
	)
}

// LogValue implements slog.LogValuer: the request logs as its redacted String.
func (r TokenRequest) LogValue() slog.Value { return slog.StringValue(r.String()) }

// LogValue implements slog.LogValuer: the credential logs as its redacted String.
func (c ClientCredential) LogValue() slog.Value { return slog.StringValue(c.String()) }

// LogValue implements slog.LogValuer: the write logs as the keys it touches.
func (w CacheWrite) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("partition", w.Partition)}
	if w.AccessToken != nil {
		attrs = append(attrs, slog.String("access_token", w.AccessToken.Key()))
	}
	if w.RefreshToken != nil {
		attrs = append(attrs, slog.String("refresh_token", w.RefreshToken.Key()))
	}
	if w.IDToken != nil {
		attrs = append(attrs, slog.String("id_token", w.IDToken.Key()))
	}
	if w.Account != nil {
		attrs = append(attrs, slog.String("account", w.Account.Key()))
	}
	if w.AppMetadata != nil {
		attrs = append(attrs, slog.String("app_metadata", w.AppMetadata.Key()))
	}
	deletes := make([]string, len(w.DeleteAccessTokens))
	for i, f := range w.DeleteAccessTokens { // logged as keys, as the entries are
		deletes[i] = f[1] + "-" + f[2] + "-" + f[0] + "-" + f[3] + "-" + f[4] + "-" + f[5]
	}
	return slog.GroupValue(append(attrs, slog.Any("delete_access_tokens", deletes))...)
}

// LogValue implements slog.LogValuer: the entries log as counts.
func (e CacheEntries) LogValue() slog.Value {
	return entryCounts(len(e.AccessTokens), len(e.RefreshTokens), len(e.IDTokens), len(e.Accounts), len(e.AppMetadata))
}

// LogValue implements slog.LogValuer: the snapshot logs as counts.
func (s CacheSnapshot) LogValue() slog.Value {
	return entryCounts(len(s.AccessTokens), len(s.RefreshTokens), len(s.IDTokens), len(s.Accounts), len(s.AppMetadata))
}

func entryCounts(at, rt, idt, accounts, meta int) slog.Value {
	return slog.GroupValue(
		slog.Int("access_tokens", at), slog.Int("refresh_tokens", rt), slog.Int("id_tokens", idt),
		slog.Int("accounts", accounts), slog.Int("app_metadata", meta),
	)
}
