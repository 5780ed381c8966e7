package domain_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

func TestError_LogValue_classAndCodesNotText(t *testing.T) {
	const text = "free-text-9a7d"
	de := &domain.Error{Class: domain.ErrInvalidGrant, Code: "invalid_grant", Description: text, HTTPStatus: 400,
		CorrelationID: "cid-1", Err: errors.New("cause " + text)}
	for name, err := range map[string]error{"direct": de, "wrapped": fmt.Errorf("op: %w", de)} {
		var buf bytes.Buffer
		l := slog.New(slog.NewJSONHandler(&buf, nil))
		l.Info("failed", domain.ErrorAttr(err))
		if name == "direct" {
			l.Info("failed", "error", err) // a *domain.Error logged as it is
		}
		got := buf.String()
		for _, want := range []string{`"class":"invalid_grant"`, `"code":"invalid_grant"`, `"http_status":400`, `"correlation_id":"cid-1"`} {
			if !strings.Contains(got, want) {
				t.Errorf("%s: log %s; want %s", name, got, want)
			}
		}
		if strings.Contains(got, text) {
			t.Errorf("%s: log %s holds the error's text", name, got)
		}
	}
	if v := domain.ErrorLogValue(errors.New("opaque " + text)).String(); strings.Contains(v, text) {
		t.Errorf("ErrorLogValue(unknown error) = %s; want its type only", v)
	}
	if v := domain.ErrorLogValue(context.DeadlineExceeded).String(); !strings.Contains(v, "deadline") {
		t.Errorf("ErrorLogValue(context.DeadlineExceeded) = %s; want its text", v)
	}
}
