package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNewGatewayBuildsAndPasses runs `sockgate new gateway Widget` in an empty folder of
// the module, then builds, vets and tests what it wrote with the go command.
func TestNewGatewayBuildsAndPasses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command on the scaffolded package")
	}
	dir := scaffoldDir(t)
	var out, errOut bytes.Buffer
	if err := run([]string{"new", "gateway", "Widget", "-dir", dir, "-events", "ping,chat:message"}, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	for _, want := range []string{"widget_gateway.go", "widget_gateway_test.go", "di.Gateway(NewWidgetGateway),"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output does not mention %s:\n%s", want, out.String())
		}
	}
	src, err := os.ReadFile(filepath.Join(dir, "widget_gateway.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"package " + filepath.Base(dir) + "\n", "type WidgetGateway struct", "`namespace:\"/widget\"`",
		"_ decorators.Subscribe `ws:\"ping\"`", "_ decorators.Subscribe `ws:\"chat:message\"`",
		"func (g *WidgetGateway) OnChatMessage(ctx context.Context, s *gateway.Socket, in WidgetChatMessageRequest) (WidgetChatMessageReply, error)",
		"// OnPing handles \"ping\"."} {
		if !strings.Contains(string(src), want) {
			t.Errorf("widget_gateway.go lacks %q:\n%s", want, src)
		}
	}
	for _, args := range [][]string{{"vet", "./" + dir}, {"test", "-count=1", "./" + dir}} {
		cmd := exec.Command("go", args...)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, b)
		}
	}
	// sockgate gen reads the new gateway.
	files, err := generate(".", genOptions{ts: "events.ts", asyncapi: "-"}, "./"+dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || !bytes.Contains(files[0].data, []byte(`"chat:message": (payload: WidgetChatMessageRequest, ack: (res: WidgetChatMessageReply | ErrorBody) => void) => void;`)) {
		t.Errorf("generated TypeScript:\n%s", files[0].data)
	}
}

// TestNewGatewayRefusesToOverwrite checks that no file is written when one of them exists.
func TestNewGatewayRefusesToOverwrite(t *testing.T) {
	dir := scaffoldDir(t)
	test := filepath.Join(dir, "widget_gateway_test.go")
	if err := os.WriteFile(test, []byte("package mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	err := run([]string{"new", "gateway", "Widget", "-dir", dir}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "widget_gateway_test.go exists") {
		t.Fatalf("err = %v, want a refusal naming the file", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "widget_gateway.go")); !os.IsNotExist(err) {
		t.Errorf("widget_gateway.go was written: %v", err)
	}
	if b, _ := os.ReadFile(test); string(b) != "package mine\n" {
		t.Errorf("the existing file changed: %q", b)
	}
}

func TestNewGatewayArguments(t *testing.T) {
	dir := scaffoldDir(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"new", "gateway"}, "name one gateway"},
		{[]string{"new", "gateway", "widget"}, "not an exported Go identifier"},
		{[]string{"new", "gateway", "Widget", "-namespace", "chat"}, `a namespace starts with "/"`},
		{[]string{"new", "gateway", "Widget", "-events", "connect"}, "reserved event name"},
		{[]string{"new", "gateway", "Widget", "-events", "a-b,a_b"}, "no distinct Go method name"},
		{[]string{"new", "thing"}, `"new" makes a gateway`},
	} {
		var out, errOut bytes.Buffer
		err := run(append(tc.args, "-dir", dir), &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files written on errors: %v", entries)
	}
}

func TestNames(t *testing.T) {
	for in, want := range map[string]string{"Widget": "widget", "ChatRoom": "chat-room", "HTTPServer": "http-server", "A": "a"} {
		if got := kebab(in); got != want {
			t.Errorf("kebab(%q) = %q, want %q", in, got, want)
		}
	}
}

// scaffoldDir is an empty directory inside the module (so that its package can import
// sockgate), relative to the working directory, removed at the end of the test.
func scaffoldDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("testdata", "new")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}
