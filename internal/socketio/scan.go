package socketio

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"unicode/utf8"
)

// maxDepth bounds the nesting of arrays and objects, like encoding/json does, so that
// hostile input cannot make the recursive scanner grow the stack without limit.
const maxDepth = 10000

// scanner validates one JSON text as strictly as json.Valid, and also refuses invalid
// UTF-8 in strings (which json.Valid lets through), without allocating, and on the
// way can collect the elements of the top-level array and find attachment placeholders.
type scanner struct {
	data  []byte
	depth int

	// collect asks for the spans of the top-level array's elements in elems.
	collect bool
	elems   []json.RawMessage
	// first is the span of the top-level array's first element (end 0 when empty).
	firstStart, firstEnd int
	// spans, when set, receives the spans of the top-level array's first maxSpans
	// elements, and nspans counts all of its elements.
	spans  *[maxSpans]span
	nspans int

	// placeholders asks to check every object with "_placeholder":true: its num must be an
	// integer below natts. With resolve set, each such object is replaced by a JSON string
	// holding the base64 of its attachment: out receives the text, data[last:] is not
	// copied yet, and out stays nil until the first placeholder.
	placeholders bool
	natts        int
	resolve      bool
	atts         [][]byte
	out          []byte
	last         int
	// topPlaceholder is the attachment index when the whole value is a placeholder, else -1
	// (set only when placeholders is on).
	topPlaceholder int
}

func (s *scanner) fail(off int, reason string) error {
	return &ParseError{Offset: off, Reason: reason}
}

func (s *scanner) skipSpace(i int) int {
	for i < len(s.data) {
		switch s.data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// top scans the whole input as exactly one JSON value with optional surrounding
// whitespace, and returns where the value starts.
func (s *scanner) top() (int, error) {
	start := s.skipSpace(0)
	end, err := s.value(start)
	if err != nil {
		return 0, err
	}
	if j := s.skipSpace(end); j != len(s.data) {
		return 0, s.fail(j, "data after the JSON value")
	}
	return start, nil
}

// value scans the value starting at i and returns the index just past it.
func (s *scanner) value(i int) (int, error) {
	if i >= len(s.data) {
		return 0, s.fail(i, "unexpected end of JSON")
	}
	switch c := s.data[i]; c {
	case '{':
		return s.object(i)
	case '[':
		return s.array(i)
	case '"':
		return s.str(i)
	case 't':
		return s.literal(i, "true")
	case 'f':
		return s.literal(i, "false")
	case 'n':
		return s.literal(i, "null")
	default:
		if c == '-' || isDigit(c) {
			return s.number(i)
		}
		return 0, s.fail(i, "invalid character in JSON")
	}
}

func (s *scanner) literal(i int, lit string) (int, error) {
	if len(s.data)-i < len(lit) || string(s.data[i:i+len(lit)]) != lit {
		return 0, s.fail(i, "invalid JSON literal")
	}
	return i + len(lit), nil
}

func (s *scanner) number(i int) (int, error) {
	d := s.data
	start := i
	if d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	default:
		return 0, s.fail(start, "invalid JSON number")
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || !isDigit(d[i]) {
			return 0, s.fail(start, "invalid JSON number")
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || !isDigit(d[i]) {
			return 0, s.fail(start, "invalid JSON number")
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	return i, nil
}

// str scans a string starting at its opening quote.
func (s *scanner) str(i int) (int, error) {
	d := s.data
	start := i
	i++
	for i < len(d) {
		c := d[i]
		switch {
		case c == '"':
			return i + 1, nil
		case c == '\\':
			if i+1 >= len(d) {
				return 0, s.fail(start, "unterminated JSON string")
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d) || !isHex(d[i+2]) || !isHex(d[i+3]) || !isHex(d[i+4]) || !isHex(d[i+5]) {
					return 0, s.fail(i, "invalid JSON escape")
				}
				i += 6
			default:
				return 0, s.fail(i, "invalid JSON escape")
			}
		case c < 0x20:
			return 0, s.fail(i, "control character in JSON string")
		case c < utf8.RuneSelf:
			i++
		default:
			// Text must be valid UTF-8 (RFC 8259 §8.1): a string relayed byte for byte
			// would otherwise reach other clients in a text frame they must refuse.
			r, size := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && size == 1 {
				return 0, s.fail(i, "invalid UTF-8 in JSON string")
			}
			i += size
		}
	}
	return 0, s.fail(start, "unterminated JSON string")
}

func (s *scanner) array(i int) (int, error) {
	s.depth++
	if s.depth > maxDepth {
		return 0, s.fail(i, "JSON nested too deeply")
	}
	top := s.depth == 1
	j := s.skipSpace(i + 1)
	if j < len(s.data) && s.data[j] == ']' {
		s.depth--
		return j + 1, nil
	}
	for n := 0; ; n++ {
		end, err := s.value(j)
		if err != nil {
			return 0, err
		}
		if top {
			if n == 0 {
				s.firstStart, s.firstEnd = j, end
			}
			if s.collect {
				s.elems = append(s.elems, s.data[j:end])
			}
			if s.spans != nil {
				if n < maxSpans {
					s.spans[n] = span{uint32(j), uint32(end)}
				}
				s.nspans = n + 1
			}
		}
		j = s.skipSpace(end)
		if j >= len(s.data) {
			return 0, s.fail(j, "unterminated JSON array")
		}
		switch s.data[j] {
		case ',':
			j = s.skipSpace(j + 1)
		case ']':
			s.depth--
			return j + 1, nil
		default:
			return 0, s.fail(j, "expected ',' or ']' in JSON array")
		}
	}
}

func (s *scanner) object(i int) (int, error) {
	s.depth++
	if s.depth > maxDepth {
		return 0, s.fail(i, "JSON nested too deeply")
	}
	outMark, lastMark := len(s.out), s.last
	// The last "_placeholder" and "num" members win, as with JSON.parse.
	isPlaceholder := false
	numStart, numEnd := -1, -1

	j := s.skipSpace(i + 1)
	if j < len(s.data) && s.data[j] == '}' {
		s.depth--
		return j + 1, nil
	}
	for {
		if j >= len(s.data) || s.data[j] != '"' {
			return 0, s.fail(j, "expected a string key in JSON object")
		}
		keyEnd, err := s.str(j)
		if err != nil {
			return 0, err
		}
		key := s.data[j:keyEnd]
		j = s.skipSpace(keyEnd)
		if j >= len(s.data) || s.data[j] != ':' {
			return 0, s.fail(j, "expected ':' in JSON object")
		}
		j = s.skipSpace(j + 1)
		end, err := s.value(j)
		if err != nil {
			return 0, err
		}
		if s.placeholders {
			switch {
			case rawKeyIs(key, "_placeholder"):
				isPlaceholder = string(s.data[j:end]) == "true"
			case rawKeyIs(key, "num"):
				numStart, numEnd = j, end
			}
		}
		j = s.skipSpace(end)
		if j >= len(s.data) {
			return 0, s.fail(j, "unterminated JSON object")
		}
		if s.data[j] == ',' {
			j = s.skipSpace(j + 1)
			continue
		}
		if s.data[j] != '}' {
			return 0, s.fail(j, "expected ',' or '}' in JSON object")
		}
		break
	}
	end := j + 1
	s.depth--
	if !isPlaceholder {
		return end, nil
	}
	n := -1
	if numStart >= 0 {
		n = parseIndex(s.data[numStart:numEnd], s.natts)
	}
	if n < 0 {
		return 0, &ParseError{Offset: i, Reason: "bad placeholder", Err: ErrInvalidPlaceholder}
	}
	if s.depth == 0 {
		s.topPlaceholder = n
	}
	if s.resolve {
		// Drop what nested placeholders wrote: the whole object is replaced.
		s.out, s.last = s.out[:outMark], lastMark
		if s.out == nil {
			s.out = make([]byte, 0, resolvedSize(s.data, s.atts))
		}
		s.out = append(s.out, s.data[s.last:i]...)
		s.out = appendBase64String(s.out, s.atts[n])
		s.last = end
	}
	return end, nil
}

// rawKeyIs reports whether the quoted JSON string raw decodes to name.
func rawKeyIs(raw []byte, name string) bool {
	if bytes.IndexByte(raw, '\\') < 0 {
		return len(raw) == len(name)+2 && string(raw[1:len(raw)-1]) == name
	}
	// Escaped keys are rare; decoding them may allocate.
	var k string
	return json.Unmarshal(raw, &k) == nil && k == name
}

// parseIndex returns the value of the digits-only number b if it is below limit, else -1.
func parseIndex(b []byte, limit int) int {
	if len(b) == 0 || len(b) > 9 {
		return -1
	}
	n := 0
	for _, c := range b {
		if !isDigit(c) {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	if n >= limit {
		return -1
	}
	return n
}

func resolvedSize(data []byte, atts [][]byte) int {
	n := len(data)
	for _, a := range atts {
		n += base64.StdEncoding.EncodedLen(len(a)) + 2
	}
	return n
}

func appendBase64String(dst, b []byte) []byte {
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}
