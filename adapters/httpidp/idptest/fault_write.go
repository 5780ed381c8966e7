package idptest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxRequestBytes caps what the server reads of a request body.
const maxRequestBytes = 1 << 20

// faultWriter buffers a response so that a fault can add headers and compress the body
// once the handler is done.
type faultWriter struct {
	w      http.ResponseWriter
	f      *Fault
	header http.Header
	status int
	body   bytes.Buffer
}

func newFaultWriter(w http.ResponseWriter, f *Fault) *faultWriter {
	return &faultWriter{w: w, f: f, header: http.Header{}}
}

// Header implements http.ResponseWriter.
func (fw *faultWriter) Header() http.Header { return fw.header }

// WriteHeader implements http.ResponseWriter.
func (fw *faultWriter) WriteHeader(code int) {
	if fw.status == 0 {
		fw.status = code
	}
}

// Write implements http.ResponseWriter.
func (fw *faultWriter) Write(b []byte) (int, error) {
	if fw.status == 0 {
		fw.status = http.StatusOK
	}
	return fw.body.Write(b)
}

// finish writes the buffered response with the fault's headers and encoding.
func (fw *faultWriter) finish() {
	h := fw.w.Header()
	for k, vs := range fw.header {
		h[k] = vs
	}
	for k, vs := range fw.f.Header {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	if fw.f.RetryAfter > 0 {
		secs := (fw.f.RetryAfter + time.Second - 1) / time.Second
		h.Set("Retry-After", strconv.FormatInt(int64(secs), 10))
	}
	body := fw.body.Bytes()
	if fw.f.Gzip && h.Get("Content-Encoding") == "" {
		body = gzipBytes(body)
		h.Set("Content-Encoding", "gzip")
	}
	if fw.status == 0 {
		fw.status = http.StatusOK
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if !bodyAllowed(fw.status) {
		h.Del("Content-Length")
		body = nil
	}
	fw.w.WriteHeader(fw.status)
	_, _ = fw.w.Write(body)
}

// bodyAllowed reports whether a response of status may carry a body (RFC 9110 §6.4.1).
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// sleepCtx waits d or until ctx is done; it reports whether the wait completed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// dropConnection reads the rest of the request and closes the connection without a
// response.
func dropConnection(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxRequestBytes))
	hj, ok := w.(http.Hijacker)
	if !ok {
		// HTTP/2 and wrapped writers cannot be hijacked: abort the stream instead.
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// writeScripted writes the scripted response of f.
func (s *Server) writeScripted(w http.ResponseWriter, r *http.Request, f *Fault) {
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	if f.Redirect != "" {
		if status < 300 || status > 399 {
			status = http.StatusFound
		}
		w.Header().Set("Location", f.Redirect)
		w.WriteHeader(status)
		return
	}
	ctype, body := "application/json", []byte(nil)
	switch f.Body {
	case BodyDefault:
		if f.Error != nil {
			e := *f.Error
			if f.EchoRequest {
				e.Description = echoRequest(e.Description, r)
			}
			body = s.errorJSON(r, e)
		}
	case BodyEmpty:
	case BodyHTML:
		ctype, body = "text/html; charset=utf-8", htmlErrorPage(status)
	case BodyMalformedJSON:
		body = []byte(`{"access_token":"eyJ0eXAiOiJKV1QiLCJhbGciOi`)
	case BodyOversized:
		body = oversizedBody()
	case BodyGzipBomb:
		body = gzipBombBody()
		w.Header().Set("Content-Encoding", "gzip")
	case BodyRaw:
		ctype, body = "application/octet-stream", f.RawBody
	}
	if f.ContentType != "" {
		ctype = f.ContentType
	}
	if len(body) > 0 {
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func htmlErrorPage(status int) []byte {
	text := strconv.Itoa(status) + " " + http.StatusText(status)
	return []byte("<!DOCTYPE html>\n<html><head><title>" + text + "</title></head>\n<body><h1>" +
		text + "</h1><p>The gateway could not complete your request.</p></body></html>\n")
}

var (
	oversizedOnce sync.Once
	oversized     []byte
	bombOnce      sync.Once
	bomb          []byte
)

// paddedTokenResponse is a well-formed token response of about n bytes.
func paddedTokenResponse(n int) []byte {
	const head = `{"token_type":"Bearer","expires_in":3600,"access_token":"`
	const tail = `"}`
	return []byte(head + strings.Repeat("A", n-len(head)-len(tail)) + tail)
}

// oversizedBody is a token response of OversizedBodyBytes.
func oversizedBody() []byte {
	oversizedOnce.Do(func() { oversized = paddedTokenResponse(OversizedBodyBytes) })
	return oversized
}

// gzipBombBody is a gzip stream that inflates to a token response of GzipBombBytes.
// It is a series of gzip members (RFC 1952 §2.2), each inflating a run of up to 1 MiB,
// so that building it stays cheap.
func gzipBombBody() []byte {
	bombOnce.Do(func() {
		const head = `{"token_type":"Bearer","expires_in":3600,"access_token":"`
		const tail = `"}`
		const run = 1 << 20
		full := gzipRun(run)
		var b bytes.Buffer
		b.Write(gzipBytes([]byte(head)))
		for range GzipBombBytes/run - 1 {
			b.Write(full)
		}
		b.Write(gzipRun(run - len(head) - len(tail)))
		b.Write(gzipBytes([]byte(tail)))
		bomb = b.Bytes()
	})
	return bomb
}

// gzipRun is a gzip member inflating to n bytes of 'A'.
func gzipRun(n int) []byte {
	chunk := bytes.Repeat([]byte("A"), 64<<10)
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid
	for n > 0 {
		k := min(n, len(chunk))
		_, _ = zw.Write(chunk[:k])
		n -= k
	}
	_ = zw.Close()
	return buf.Bytes()
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

// echoRequest appends the request to an error description as some providers do: the
// form URL-encoded and decoded, and the Authorization header (Basic credentials
// included) raw and decoded.
func echoRequest(desc string, r *http.Request) string {
	var b strings.Builder
	b.WriteString(desc)
	form := r.PostForm.Encode()
	b.WriteString(" request: " + form)
	if dec, err := url.QueryUnescape(form); err == nil {
		b.WriteString(" decoded: " + dec)
	}
	if h := r.Header.Get("Authorization"); h != "" {
		b.WriteString(" authorization: " + h)
		if raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(h, "Basic ")); err == nil {
			b.WriteString(" = " + string(raw))
		}
	}
	return b.String()
}
