package main

import "strings"

// Sanitizer removes HTML from user text. It deletes and never decodes: tags, comments
// and the contents of elements whose content is not text (script, style, ...) go; the
// rest stays byte for byte, character references included, so that no markup can appear
// that was not already written out as text.
//
// A Sanitizer has no state; it is safe for concurrent use.
type Sanitizer struct{}

// NewSanitizer returns the sanitizer (an fx constructor).
func NewSanitizer() *Sanitizer { return &Sanitizer{} }

// rawTextElements hold code or markup rather than text; their contents are dropped with
// them.
var rawTextElements = map[string]bool{
	"script": true, "style": true, "iframe": true, "noscript": true, "noembed": true,
	"noframes": true, "xmp": true, "template": true, "object": true, "svg": true, "math": true,
}

// StripHTML returns s without its HTML. Text without '<' is returned as is, without
// copying.
func (*Sanitizer) StripHTML(s string) string {
	if strings.IndexByte(s, '<') < 0 {
		return s
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '<' || i+1 >= len(s) || !opensMarkup(s[i+1]) {
			if opensMarkup(c) {
				// A '<' kept as text must not end up in front of a tag-opening character
				// brought next to it by a removal ("<<b>img ..." would become "<img ...").
				for len(out) > 0 && out[len(out)-1] == '<' {
					out = out[:len(out)-1]
				}
			}
			out = append(out, c)
			i++
			continue
		}
		i = skipMarkup(s, i)
	}
	return string(out)
}

// opensMarkup reports whether c after '<' starts a tag, an end tag, a comment, a
// declaration or a processing instruction, as an HTML tokenizer sees it.
func opensMarkup(c byte) bool {
	return c == '/' || c == '!' || c == '?' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

// skipMarkup returns the index just after the markup starting at s[i] == '<' (and after
// the contents of a raw-text element), or len(s) when it is not closed.
func skipMarkup(s string, i int) int {
	if strings.HasPrefix(s[i:], "<!--") {
		if end := strings.Index(s[i+4:], "-->"); end >= 0 {
			return i + 4 + end + 3
		}
		return len(s)
	}
	if s[i+1] == '!' || s[i+1] == '?' {
		if end := strings.IndexByte(s[i:], '>'); end >= 0 {
			return i + end + 1
		}
		return len(s)
	}
	end, ok := tagEnd(s, i+1)
	if !ok {
		return len(s)
	}
	if isLetter(s[i+1]) {
		if name := tagName(s[i+1:]); rawTextElements[name] {
			return skipRawText(s, end, name)
		}
	}
	return end
}

// tagEnd returns the index after the '>' closing a tag whose name starts at j, skipping
// quoted attribute values (which may hold '>').
func tagEnd(s string, j int) (int, bool) {
	for j < len(s) {
		switch c := s[j]; c {
		case '>':
			return j + 1, true
		case '"', '\'':
			q := strings.IndexByte(s[j+1:], c)
			if q < 0 {
				return len(s), false
			}
			j += q + 2
		default:
			j++
		}
	}
	return len(s), false
}

// tagName returns the lower-case name at the start of s.
func tagName(s string) string {
	n := 0
	for n < len(s) && (isLetter(s[n]) || ('0' <= s[n] && s[n] <= '9')) {
		n++
	}
	return strings.ToLower(s[:n])
}

// skipRawText returns the index after the end tag </name> that closes a raw-text element
// whose contents start at j, or len(s) when there is none.
func skipRawText(s string, j int, name string) int {
	for {
		k := strings.Index(s[j:], "</")
		if k < 0 {
			return len(s)
		}
		j += k
		rest := s[j+2:]
		if len(rest) >= len(name) && strings.EqualFold(rest[:len(name)], name) &&
			(len(rest) == len(name) || !isLetter(rest[len(name)]) && !('0' <= rest[len(name)] && rest[len(name)] <= '9')) {
			end, _ := tagEnd(s, j+2)
			return end
		}
		j += 2
	}
}

func isLetter(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }
