package domain_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

// clientInfoJSON's encodings differ between the standard and URL alphabets, and need
// padding, so each decoding path is exercised.
const clientInfoJSON = `{"uid":"a?>b","utid":"t~?>"}`

func makeClientInfo(uid, utid string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(`{"uid":"` + uid + `","utid":"` + utid + `"}`))
}

func TestParseClientInfo_encodings(t *testing.T) {
	want := domain.ClientInfo{UID: "a?>b", UTID: "t~?>"}
	tests := []struct {
		name string
		in   string
	}{
		{name: "unpadded base64url", in: base64.RawURLEncoding.EncodeToString([]byte(clientInfoJSON))},
		{name: "padded base64url", in: base64.URLEncoding.EncodeToString([]byte(clientInfoJSON))},
		{name: "padded standard base64", in: base64.StdEncoding.EncodeToString([]byte(clientInfoJSON))},
	}
	if !strings.ContainsAny(tests[0].in, "-_") || !strings.HasSuffix(tests[1].in, "=") || !strings.ContainsAny(tests[2].in, "+/") {
		t.Fatalf("test vectors do not exercise the alphabets and padding: %q", tests)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.ParseClientInfo(tt.in)
			if err != nil || got != want {
				t.Errorf("ParseClientInfo(%q) = %+v, %v; want %+v, nil", tt.in, got, err, want)
			}
		})
	}
}

func TestParseClientInfo_invalid(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{name: "empty", in: ""},
		{name: "not base64", in: "!!!*"},
		{name: "not JSON", in: base64.RawURLEncoding.EncodeToString([]byte("uid=u"))},
		{name: "JSON array", in: base64.RawURLEncoding.EncodeToString([]byte(`["u","t"]`))},
		{name: "no uid", in: base64.RawURLEncoding.EncodeToString([]byte(`{"utid":"t"}`))},
		{name: "no utid", in: base64.RawURLEncoding.EncodeToString([]byte(`{"uid":"u"}`))},
		{name: "uid not a string", in: base64.RawURLEncoding.EncodeToString([]byte(`{"uid":1,"utid":"t"}`))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.ParseClientInfo(tt.in)
			var de *domain.Error
			if !errors.Is(err, domain.ErrInvalidResponse) || !errors.As(err, &de) {
				t.Errorf("ParseClientInfo(%q) = %+v, %v; want a *domain.Error of ErrInvalidResponse", tt.in, got, err)
			}
		})
	}
}

func TestHomeAccountID_sources(t *testing.T) {
	claims := &domain.IDTokenClaims{Subject: "sub-1"}
	tests := []struct {
		name       string
		clientInfo string
		claims     *domain.IDTokenClaims
		want       string
		wantErr    bool
	}{
		{name: "client_info wins over sub", clientInfo: makeClientInfo("uid", "utid"), claims: claims, want: "uid.utid"},
		{name: "client_info alone", clientInfo: makeClientInfo("uid", "utid"), want: "uid.utid"},
		{name: "sub without client_info", claims: claims, want: "sub-1"},
		{name: "neither", want: ""},
		{name: "bad client_info is an error, not a fallback to sub", clientInfo: "%%%", claims: claims, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.HomeAccountID(tt.clientInfo, tt.claims)
			if tt.wantErr {
				if !errors.Is(err, domain.ErrInvalidResponse) {
					t.Errorf("HomeAccountID = %q, %v; want ErrInvalidResponse", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("HomeAccountID = %q, %v; want %q, nil", got, err, tt.want)
			}
		})
	}
}
