package sanitize_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/sockgate/sockgate/decorators"
	"github.com/sockgate/sockgate/gateway"
	"github.com/sockgate/sockgate/gateway/gatewaytest"
	"github.com/sockgate/sockgate/pipes/sanitize"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestHTML(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain text", "hello world", "hello world"},
		{"empty", "", ""},
		{"bold", "<b>hi</b> there", "hi there"},
		{"attributes", `<a href="https://x.test/?a=1&b=2" title='t'>link</a>`, "link"},
		{"script dropped with its code", "a<script>alert(1)</script>b", "ab"},
		{"style dropped with its rules", "<style>p{color:red}</style>text", "text"},
		{"event handler attribute", `<img src=x onerror="alert(1)">`, ""},
		{"comment", "a<!-- <b>hidden</b> -->b", "ab"},
		{"svg", `<svg onload=alert(1)><g>ok</g></svg>`, "ok"},
		{"tag rebuilt by a removal stays text", "<<b>img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"},
		{"less-than in text is escaped", "1 < 2 & 3 > 2", "1 &lt; 2 &amp; 3 &gt; 2"},
		{"quotes are escaped", `it's "quoted"`, "it&#39;s &#34;quoted&#34;"},
		{"entities stay escaped", "&lt;script&gt;", "&lt;script&gt;"},
		{"unicode kept", "<i>héllo</i> 世界 🎉", "héllo 世界 🎉"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sanitize.HTML(tt.in); got != tt.want {
				t.Fatalf("HTML(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestHTMLPlainTextDoesNotAllocate(t *testing.T) {
	in := strings.Repeat("plain text, 100% safe! ", 40)
	if n := testing.AllocsPerRun(100, func() { _ = sanitize.HTML(in) }); n != 0 {
		t.Fatalf("%v allocations for text without markup", n)
	}
}

// FuzzHTML checks that the short cut for plain text gives what the policy gives, and that
// nothing that could open markup survives.
func FuzzHTML(f *testing.F) {
	for _, s := range []string{"", "a", "<b>x</b>", "a\r\nb", "a\x00b", "\xff\xfe", "&amp;", "<<b>script>", "'\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := sanitize.HTML(s)
		if strings.ContainsAny(got, "<>") {
			t.Fatalf("HTML(%q) = %q holds < or >", s, got)
		}
		if !strings.ContainsAny(s, "<>&'\"\r\x00") {
			if want := sanitize.StrictSanitize(s); got != want {
				t.Fatalf("HTML(%q) = %q, the policy gives %q", s, got, want)
			}
		}
	})
}

type inner struct {
	Note  string `json:"note" sanitize:"html"`
	Plain string `json:"plain"`
}

type body struct {
	Text  string            `json:"text" sanitize:"html"`
	ID    string            `json:"id"`
	Inner inner             `json:"inner"`
	Ptr   *inner            `json:"ptr"`
	List  []inner           `json:"list"`
	ByKey map[string]inner  `json:"byKey"`
	Raw   json.RawMessage   `json:"raw"`
	Tags  map[string]string `json:"tags"`
	Named named             `json:"named" sanitize:"html"`
}

type named string

func TestPipe(t *testing.T) {
	in := body{
		Text: "<b>x</b>", ID: "<id>",
		Inner: inner{Note: "<i>n</i>", Plain: "<p>"},
		Ptr:   &inner{Note: "<u>p</u>"},
		List:  []inner{{Note: "<s>1</s>"}, {Note: "2"}},
		ByKey: map[string]inner{"k": {Note: "<em>m</em>", Plain: "<keep>"}},
		Raw:   json.RawMessage(`"<raw>"`),
		Tags:  map[string]string{"t": "<t>"},
		Named: "<b>named</b>",
	}
	if err := sanitize.Pipe()(nil, 0, &in); err != nil {
		t.Fatal(err)
	}
	want := body{
		Text: "x", ID: "<id>",
		Inner: inner{Note: "n", Plain: "<p>"},
		Ptr:   &inner{Note: "p"},
		List:  []inner{{Note: "1"}, {Note: "2"}},
		ByKey: map[string]inner{"k": {Note: "m", Plain: "<keep>"}},
		Raw:   json.RawMessage(`"<raw>"`),
		Tags:  map[string]string{"t": "<t>"},
		Named: "named",
	}
	g, _ := json.Marshal(in)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Fatalf("after the pipe:\n got %s\nwant %s", g, w)
	}
	// Bodies without tagged fields, and nil pointers, are left alone.
	s := "<b>plain string parameter</b>"
	if err := sanitize.Pipe()(nil, 0, &s); err != nil || s != "<b>plain string parameter</b>" {
		t.Fatalf("string parameter: %q, %v", s, err)
	}
	var nilPtr *inner
	if err := sanitize.Pipe()(nil, 0, &nilPtr); err != nil {
		t.Fatal(err)
	}
}

type recursive struct {
	Text string       `json:"text" sanitize:"html"`
	Next *recursive   `json:"next"`
	Kids []*recursive `json:"kids"`
}

func TestPipeRecursiveType(t *testing.T) {
	in := &recursive{Text: "<b>a</b>", Next: &recursive{Text: "<b>b</b>"}, Kids: []*recursive{{Text: "<b>c</b>"}}}
	if err := sanitize.Pipe()(nil, 0, &in); err != nil {
		t.Fatal(err)
	}
	if in.Text != "a" || in.Next.Text != "b" || in.Kids[0].Text != "c" {
		t.Fatalf("got %q %q %q", in.Text, in.Next.Text, in.Kids[0].Text)
	}
}

func TestPipeBadTags(t *testing.T) {
	type wrongValue struct {
		Text string `sanitize:"strict"`
	}
	type notString struct {
		N int `sanitize:"html"`
	}
	type unexported struct {
		text string `sanitize:"html"`
	}
	_ = unexported{text: ""}
	for _, tc := range []struct {
		v    any
		want string
	}{
		{&wrongValue{}, `wrongValue.Text: tag sanitize:"strict": the only value is "html"`},
		{&notString{}, `notString.N: tag sanitize:"html" on a int`},
		{&unexported{}, `unexported.text: tag sanitize:"html" on an unexported field`},
	} {
		err := sanitize.Pipe()(nil, 0, tc.v)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%T: %v, want an error containing %q", tc.v, err, tc.want)
		}
		if ge := (*gateway.Error)(nil); errors.As(err, &ge) {
			t.Errorf("%T: a client-visible %v, want an internal error", tc.v, ge)
		}
	}
}

// The pipe in a real gateway: what the handler sees is sanitized, and what the client
// sent under untagged fields is not touched.
type echoGateway struct {
	decorators.Gateway `use:"sanitize"`

	_ decorators.Subscribe `ws:"echo"`
}

func (echoGateway) OnEcho(in body) body { return in }

func TestPipeInGateway(t *testing.T) {
	srv := gatewaytest.NewServer(t, gateway.Config{}, gateway.WithNamed("sanitize", sanitize.Pipe()))
	if err := srv.Register(&echoGateway{}); err != nil {
		t.Fatal(err)
	}
	c := srv.Dial(t, "/")
	ack := c.EmitWithAck(t, "echo", map[string]any{"text": "<script>x()</script>hi & bye", "id": "<b>"})
	var got body
	if err := ack.Decode(0, &got); err != nil {
		t.Fatal(err)
	}
	if got.Text != "hi &amp; bye" || got.ID != "<b>" {
		t.Fatalf("handler saw text %q, id %q", got.Text, got.ID)
	}
}
