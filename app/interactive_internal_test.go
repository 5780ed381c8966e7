package app

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// The loopback handler takes only a redirect that carries the flow's state; every other
// request is answered 400 and leaves the wait going.
func TestRedirectHandler_takesOnlyThisFlowsState(t *testing.T) {
	const state = "C8ZwYwRdTAE1uf9dCRFElWTVXD6HCkob"
	for _, tc := range []struct {
		name       string
		target     string
		wantStatus int
		wantTaken  bool
	}{
		{"code with the flow's state", "/?code=c1&state=" + state, http.StatusOK, true},
		{"provider error with the flow's state", "/?error=access_denied&state=" + state, http.StatusOK, true},
		{"code with a wrong state", "/?code=forged&state=forged", http.StatusBadRequest, false},
		{"code with the state's prefix", "/?code=forged&state=" + state[:10], http.StatusBadRequest, false},
		{"code without state", "/?code=forged", http.StatusBadRequest, false},
		{"code with an empty state", "/?code=forged&state=", http.StatusBadRequest, false},
		{"provider error without state", "/?error=access_denied", http.StatusBadRequest, false},
		{"provider error with a wrong state", "/?error=access_denied&state=forged", http.StatusBadRequest, false},
		{"the state twice", "/?code=c1&state=" + state + "&state=forged", http.StatusBadRequest, false},
		{"no parameters", "/", http.StatusBadRequest, false},
		{"another path", "/favicon.ico?state=" + state, http.StatusNotFound, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			responses := make(chan url.Values, 1)
			var logs bytes.Buffer
			h := redirectHandler("/", state, responses, slog.New(slog.NewTextHandler(&logs, nil)))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.target, nil))
			if rec.Code != tc.wantStatus {
				t.Fatalf("GET %s: status %d; want %d", tc.target, rec.Code, tc.wantStatus)
			}
			select {
			case q := <-responses:
				if !tc.wantTaken {
					t.Fatalf("GET %s: handed %v to the flow; want it refused", tc.target, q)
				}
			default:
				if tc.wantTaken {
					t.Fatalf("GET %s: not handed to the flow; want it taken", tc.target)
				}
			}
			if strings.Contains(logs.String(), state) {
				t.Fatalf("the log quotes the state: %s", logs.String())
			}
		})
	}
}

// An empty expected state (never made by Initiate) must not match a request without one.
func TestRedirectHandler_emptyFlowStateTakesNothing(t *testing.T) {
	responses := make(chan url.Values, 1)
	h := redirectHandler("/", "", responses, slog.New(slog.DiscardHandler))
	for _, target := range []string{"/?code=c1", "/?code=c1&state=", "/?code=c1&state=x"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		if rec.Code != http.StatusBadRequest || len(responses) != 0 {
			t.Fatalf("GET %s with an empty flow state: status %d, %d taken; want 400 and none", target, rec.Code, len(responses))
		}
	}
}

// With a redirect path the listener serves that path only: the same response at "/", at
// the path with a trailing slash or in an escaped spelling is not taken.
func TestRedirectHandler_servesItsPathOnly(t *testing.T) {
	const state = "C8ZwYwRdTAE1uf9dCRFElWTVXD6HCkob"
	for _, tc := range []struct {
		target     string
		wantStatus int
	}{
		{"/callback?code=c1&state=" + state, http.StatusOK},
		{"/?code=c1&state=" + state, http.StatusNotFound},
		{"/callback/?code=c1&state=" + state, http.StatusNotFound},
		{"/%63allback?code=c1&state=" + state, http.StatusNotFound},
		{"/Callback?code=c1&state=" + state, http.StatusNotFound},
	} {
		responses := make(chan url.Values, 1)
		h := redirectHandler("/callback", state, responses, slog.New(slog.DiscardHandler))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.target, nil))
		if rec.Code != tc.wantStatus || (len(responses) == 1) != (tc.wantStatus == http.StatusOK) {
			t.Errorf("GET %s: status %d, %d taken; want %d", tc.target, rec.Code, len(responses), tc.wantStatus)
		}
	}
}
