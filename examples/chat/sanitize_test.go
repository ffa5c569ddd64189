package main

import (
	"strings"
	"testing"
)

func TestStripHTML(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain text", "hello world", "hello world"},
		{"empty", "", ""},
		{"bold", "<b>hi</b> there", "hi there"},
		{"attributes", `<a href="https://x.test/?a=1&b=2" title='t'>link</a>`, "link"},
		{"quoted >", `<a title="a>b">x</a>`, "x"},
		{"self-closing", "line<br/>break<br />", "linebreak"},
		{"upper case", "<DIV CLASS=x>y</DIV>", "y"},
		{"script dropped with its code", "a<script>alert(1)</script>b", "ab"},
		{"script end tag in any case", "a<script type=x>alert('</b>')</SCRIPT >b", "ab"},
		{"style dropped", "<style>p{color:red}</style>text", "text"},
		{"unclosed script drops the rest", "a<script>alert(1)", "a"},
		{"scripts is not script", "<scripts>x</scripts>", "x"},
		{"end tag of another element inside script", "<script>x</scriptx>y</script>z", "z"},
		{"comment", "a<!-- <b>hidden</b> -->b", "ab"},
		{"unclosed comment", "a<!-- b", "a"},
		{"doctype", "<!DOCTYPE html>x", "x"},
		{"processing instruction", "<?xml version='1.0'?>x", "x"},
		{"event handler attribute", `<img src=x onerror="alert(1)">`, ""},
		{"unclosed tag drops the rest", "a<b onclick=alert(1)", "a"},
		{"unclosed quote drops the rest", `a<b title="x>y`, "a"},
		{"less-than in text", "1 < 2 and 3 > 2", "1 < 2 and 3 > 2"},
		{"heart", "I <3 Go", "I <3 Go"},
		{"lone less-than at the end", "a <", "a <"},
		{"less-than then tag", "a <<b>b</b>", "a b"},
		{"tag rebuilt by a removal", "<<b>img src=x onerror=alert(1)>", "img src=x onerror=alert(1)>"},
		{"nested rebuild", "<<<b>b>script>x", "b>script>x"},
		{"end tag rebuilt", "<<i>/b>", "/b>"},
		{"entities kept, not decoded", "&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"unicode kept", "<i>héllo</i> 世界 🎉", "héllo 世界 🎉"},
		{"end tag with space", "</ b>x", "x"},
		{"svg with script", `<svg onload=alert(1)><script>x</script></svg>ok`, "ok"},
	}
	var san Sanitizer
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := san.StripHTML(tt.in); got != tt.want {
				t.Fatalf("StripHTML(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestStripHTMLDoesNotCopyPlainText(t *testing.T) {
	var san Sanitizer
	in := strings.Repeat("plain text ", 50)
	if n := testing.AllocsPerRun(100, func() { _ = san.StripHTML(in) }); n != 0 {
		t.Fatalf("%v allocations for text without markup", n)
	}
}

// opensTag reports whether s holds '<' followed by a character that starts markup.
func opensTag(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '<' && opensMarkup(s[i+1]) {
			return true
		}
	}
	return false
}

// isSubsequence reports whether every byte of sub appears in s, in order.
func isSubsequence(sub, s string) bool {
	j := 0
	for i := 0; i < len(s) && j < len(sub); i++ {
		if s[i] == sub[j] {
			j++
		}
	}
	return j == len(sub)
}

func FuzzStripHTML(f *testing.F) {
	for _, seed := range []string{
		"hello", "<b>x</b>", "<<b>img src=x>", "<script>a</script>b", "<!-- x -->", `<a t=">">`,
		"1 < 2", "<?x?>", "</>", "<<<<", "<script", "<a '", "&lt;b&gt;", "<svg><math>",
	} {
		f.Add(seed)
	}
	var san Sanitizer
	f.Fuzz(func(t *testing.T, in string) {
		out := san.StripHTML(in)
		if opensTag(out) {
			t.Fatalf("StripHTML(%q) = %q still opens markup", in, out)
		}
		if !isSubsequence(out, in) {
			t.Fatalf("StripHTML(%q) = %q added text", in, out)
		}
		if again := san.StripHTML(out); again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, out, again)
		}
	})
}

func BenchmarkStripHTML(b *testing.B) {
	var san Sanitizer
	for _, bc := range []struct{ name, in string }{
		{"plain", strings.Repeat("just some words ", 60)},
		{"markup", strings.Repeat(`<p class="x">some <b>bold</b> words</p>`, 25)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.in)))
			b.ReportAllocs()
			for b.Loop() {
				_ = san.StripHTML(bc.in)
			}
		})
	}
}
