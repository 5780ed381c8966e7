package domain

// ResponseMode is how the authorization response reaches the redirect URI (OAuth 2.0
// Multiple Response Type Encoding Practices §2.1, OAuth 2.0 Form Post Response Mode).
type ResponseMode string

// Response modes of the authorization-code flow.
const (
	// ResponseModeQuery puts the response in the redirect URI's query: a GET. It is the
	// default of response_type=code.
	ResponseModeQuery ResponseMode = "query"
	// ResponseModeFormPost has the browser POST the response as a form to the redirect
	// URI, so the code never appears in a URL (history, logs, Referer).
	ResponseModeFormPost ResponseMode = "form_post"
	// ResponseModeFragment puts the response in the redirect URI's fragment, which the
	// browser never sends to a server: only code running in the user agent reads it.
	// hexauth refuses it for confidential clients, whose server would never see the code
	// and whose secret-backed redemption it is.
	ResponseModeFragment ResponseMode = "fragment"
)

// Effective returns m, or ResponseModeQuery when m is empty (response_type=code's
// default, and what a flow serialised before response modes existed means).
func (m ResponseMode) Effective() ResponseMode {
	if m == "" {
		return ResponseModeQuery
	}
	return m
}

// CheckResponseMode checks a response mode a caller asks for: empty (the default),
// query, form_post, or fragment for a public client only. Anything else is
// ErrInvalidInput.
func CheckResponseMode(m ResponseMode, confidential bool) error {
	switch m {
	case "", ResponseModeQuery, ResponseModeFormPost:
		return nil
	case ResponseModeFragment:
		if confidential {
			return Errorf(ErrInvalidInput, "response_mode fragment is refused for a confidential client: its server never receives a fragment; use query or form_post")
		}
		return nil
	}
	return Errorf(ErrInvalidInput, "response_mode must be query, form_post or fragment")
}

// CheckResponseArrival checks that an authorization response arrived the way its flow
// asked (got, empty meaning query): a code the flow expected by form_post that comes in
// a query string was not sent by the provider as asked — an injected redirect, a code
// lifted from a log — and is refused as ErrInvalidResponse before it is redeemed.
func (f AuthCodeFlow) CheckResponseArrival(got ResponseMode) error {
	if want := f.ResponseMode.Effective(); got.Effective() != want {
		return Errorf(ErrInvalidResponse, "authorization response arrived by %s, but the flow asked for response_mode %s", got.Effective(), want)
	}
	return nil
}
