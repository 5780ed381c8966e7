package domain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
)

// LogValue implements slog.LogValuer: an error logs as its class, codes, status and
// correlation ids, never its description. Log lines carry what an operator filters
// and correlates on; the provider's free text stays in the error the caller gets
// (DESIGN §5), where it was scrubbed but may still name a user.
func (e *Error) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("class", string(e.Class))}
	add := func(k, v string) {
		if v != "" {
			attrs = append(attrs, slog.String(k, EscapeControl(truncate(v, maxErrorField))))
		}
	}
	add("op", e.Op)
	add("code", e.Code)
	add("suberror", e.SubError)
	if len(e.ErrorCodes) > 0 {
		attrs = append(attrs, slog.Any("error_codes", e.ErrorCodes))
	}
	if e.HTTPStatus != 0 {
		attrs = append(attrs, slog.Int("http_status", e.HTTPStatus))
	}
	if e.RetryAfter > 0 {
		attrs = append(attrs, slog.Duration("retry_after", e.RetryAfter))
	}
	add("correlation_id", e.CorrelationID)
	add("trace_id", e.TraceID)
	if e.Err != nil {
		attrs = append(attrs, slog.Attr{Key: "cause", Value: ErrorLogValue(e.Err)})
	}
	return slog.GroupValue(attrs...)
}

// ErrorLogValue returns how err may be logged: an *Error (found with errors.As) as its
// LogValue, a class as its name, a context error as its text, and any other error as
// its type alone, since its text may quote a provider's answer.
func ErrorLogValue(err error) slog.Value {
	var de *Error
	var class ErrorCode
	switch {
	case err == nil:
		return slog.StringValue("")
	case errors.As(err, &de) && de != nil:
		return de.LogValue()
	case errors.As(err, &class):
		return slog.GroupValue(slog.String("class", string(class)))
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return slog.StringValue(err.Error())
	}
	return slog.GroupValue(slog.String("type", fmt.Sprintf("%T", err)))
}

// ErrorAttr is the attribute "error" with ErrorLogValue(err), for log lines about a
// failure.
func ErrorAttr(err error) slog.Attr { return slog.Attr{Key: "error", Value: ErrorLogValue(err)} }
