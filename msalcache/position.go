package msalcache

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"
)

// A refused document's error says where to look: the line and column of the file as the
// user has it. Positions count bytes of the original file, a UTF-8 byte-order mark
// (3 bytes) included, so they match what an editor's byte offset or `head -c` shows.

// bom is the UTF-8 byte-order mark DecodeReport strips (and counts in positions).
var bom = []byte("\uFEFF")

// place sets the position of the EntryError inside err, which decoding body (the
// document after a byte-order mark of skip bytes) produced, and returns err.
func place(err error, body []byte, skip int) error {
	var ee *EntryError
	if !errors.As(err, &ee) || ee.Line != 0 {
		return err
	}
	off := -1
	if ee.Section != "" {
		off = locate(body, []string{ee.Section, ee.Key, ee.Field})
	}
	if off < 0 {
		return err
	}
	ee.setPosition(body, skip, off)
	return err
}

// setPosition sets Offset, Line and Column of e from off, an offset into body, which
// follows skip bytes of byte-order mark in the file.
func (e *EntryError) setPosition(body []byte, skip, off int) {
	off = min(max(off, 0), len(body))
	e.Offset = int64(skip + off)
	e.Line = 1 + bytes.Count(body[:off], []byte("\n"))
	lineStart := bytes.LastIndexByte(body[:off], '\n') + 1
	e.Column = off - lineStart + 1
	if lineStart == 0 {
		e.Column += skip
	}
}

// frame is an object or array being read by a walk.
type frame struct {
	object    bool
	expectKey bool   // an object whose next string is a member name
	key       string // the name of the member being read, or last read
	keyStart  int
}

// walk reads body token by token, calling onKey with the open frames whenever a member
// name is read (the last frame holds it). It returns the frames open when reading
// stopped and the error that stopped it (nil at the end).
func walk(body []byte, onKey func(stack []frame)) ([]frame, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var stack []frame
	for {
		prev := int(dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			if err == io.EOF && len(stack) == 0 {
				return nil, nil
			}
			return stack, err
		}
		top := len(stack) - 1
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:top]
			valueRead(stack)
			continue
		}
		if top >= 0 && stack[top].object && stack[top].expectKey {
			name, _ := tok.(string)
			stack[top].key, stack[top].expectKey = name, false
			stack[top].keyStart = prev + len(body[prev:]) - len(bytes.TrimLeft(body[prev:], " \t\r\n,"))
			if onKey != nil {
				onKey(stack)
			}
			continue
		}
		if d, ok := tok.(json.Delim); ok {
			stack = append(stack, frame{object: d == '{', expectKey: d == '{'})
			continue
		}
		valueRead(stack)
	}
}

// valueRead marks the innermost frame's member value as read: an object expects a name.
func valueRead(stack []frame) {
	if n := len(stack); n > 0 && stack[n-1].object {
		stack[n-1].expectKey = true
	}
}

// locate returns the offset in body of the name of the innermost member of path
// (section, entry key, field; trailing "" ignored) that the document holds, the last one
// when a name is given twice (encoding/json keeps the last); -1 when not even the section
// is found. Sections and fields match ignoring case, as DecodeReport reads them.
func locate(body []byte, path []string) int {
	best, bestDepth := -1, 0
	_, _ = walk(body, func(stack []frame) {
		d := len(stack)
		if d > len(path) || path[d-1] == "" {
			return
		}
		for i := range d {
			if !nameMatches(i, stack[i].key, path[i]) {
				return
			}
		}
		if d >= bestDepth {
			best, bestDepth = stack[d-1].keyStart, d
		}
	})
	return best
}

// nameMatches compares a member name at depth i: entry keys (depth 1) exactly, section
// and field names ignoring case.
func nameMatches(depth int, got, want string) bool {
	if depth == 1 {
		return got == want
	}
	return strings.EqualFold(got, want)
}

// quotedChar is the character encoding/json quotes in its syntax errors; it may be a
// secret's, so messages drop it.
var quotedChar = regexp.MustCompile(`'(\\.|[^\\'])+'\s*`)

// syntaxError reports where a document stops being JSON: the line and column of the
// byte it stopped at, and the section, entry and field it was reading.
func syntaxError(err error, body []byte, skip int) error {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return invalid(opDecode, &EntryError{Reason: "the document is not a JSON object"})
	}
	ee := &EntryError{Reason: "malformed JSON: " + quotedChar.ReplaceAllString(se.Error(), "")}
	stack, _ := walk(body, nil)
	var path []string
	for _, f := range stack {
		if !f.object || f.expectKey {
			break
		}
		path = append(path, f.key)
	}
	if len(path) > 0 {
		ee.Section = path[0]
		if s, ok := sectionNamed(path[0]); ok {
			ee.Section = s.name
		}
	}
	if len(path) > 1 {
		ee.Key = path[1]
	}
	if len(path) > 2 {
		ee.Field = path[2]
	}
	ee.setPosition(body, skip, int(se.Offset)-1)
	return invalid(opDecode, ee)
}

// utf8Error reports the first byte of body that is not UTF-8.
func utf8Error(body []byte, skip int) error {
	off := 0
	for off < len(body) {
		r, n := utf8.DecodeRune(body[off:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		off += n
	}
	ee := &EntryError{Reason: "the document is not valid UTF-8"}
	ee.setPosition(body, skip, off)
	return invalid(opDecode, ee)
}

// repeatedNames returns the member names that the JSON object obj holds more than once,
// each once, in the order of their second occurrence. A section holding an entry key
// twice is how colliding MSAL keys show in a document merged by hand.
func repeatedNames(obj []byte) []string {
	var seen map[string]int
	var out []string
	_, _ = walk(obj, func(stack []frame) {
		if len(stack) != 1 {
			return
		}
		if seen == nil {
			seen = map[string]int{}
		}
		name := stack[0].key
		if seen[name]++; seen[name] == 2 {
			out = append(out, name)
		}
	})
	return out
}
