package httpidp

import (
	"context"
	"log/slog"

	"github.com/hashicorp/go-retryablehttp"
)

// leveledLogger adapts a *slog.Logger to go-retryablehttp's LeveledLogger. That library
// logs methods, redacted URLs, statuses and transport errors, never bodies or headers.
type leveledLogger struct{ l *slog.Logger }

var _ retryablehttp.LeveledLogger = leveledLogger{}

func (a leveledLogger) log(level slog.Level, msg string, kv []any) {
	a.l.Log(context.Background(), level, "httpidp: "+msg, kv...)
}

// Error implements retryablehttp.LeveledLogger. A failed attempt is logged at warning
// level: the caller receives the final error and decides how bad it is.
func (a leveledLogger) Error(msg string, kv ...any) { a.log(slog.LevelWarn, msg, kv) }

// Warn implements retryablehttp.LeveledLogger.
func (a leveledLogger) Warn(msg string, kv ...any) { a.log(slog.LevelWarn, msg, kv) }

// Info implements retryablehttp.LeveledLogger.
func (a leveledLogger) Info(msg string, kv ...any) { a.log(slog.LevelInfo, msg, kv) }

// Debug implements retryablehttp.LeveledLogger.
func (a leveledLogger) Debug(msg string, kv ...any) { a.log(slog.LevelDebug, msg, kv) }
