package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestNewGatewayBuildsAndPasses runs `sockgate new gateway Widget`, as a user would, in an
// empty folder of the module; what it writes must build, vet and pass its test. Then sockgate
// gen writes the folder's generated code, and the test passes again with the gateway served
// through the generated specs.
func TestNewGatewayBuildsAndPasses(t *testing.T) {
	dir := scaffoldDir(t)
	bin := filepath.Join(t.TempDir(), "sockgate")
	goCmd(t, ".", "build", "-o", bin, ".")
	cmd := exec.Command(bin, "new", "gateway", "Widget")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sockgate new gateway Widget: %v\n%s", err, out)
	}
	for _, want := range []string{"wrote widget_gateway.go", "wrote widget_gateway_test.go", "di.Gateway(NewWidgetGateway),"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output does not say %s:\n%s", want, out)
		}
	}
	src := string(readFile(t, filepath.Join(dir, "widget_gateway.go")))
	for _, want := range []string{"package " + filepath.Base(dir) + "\n", "type WidgetGateway struct",
		"`namespace:\"/widget\"`", "_ decorators.Subscribe `ws:\"ping\"`", "_ decorators.Emits[WidgetPingReply] `ws:\"ping-done\"`",
		"func (g *WidgetGateway) OnPing(ctx context.Context, s *gateway.Socket, in WidgetPingRequest) (WidgetPingReply, error)",
		"// OnPing handles \"ping\"."} {
		if !strings.Contains(src, want) {
			t.Errorf("widget_gateway.go lacks %q:\n%s", want, src)
		}
	}
	// The registration line it printed builds the gateway in an fx application.
	line := regexp.MustCompile(`di\.Gateway\(\w+\),`).FindString(string(out))
	fxTest := "package " + filepath.Base(dir) + `

import (
	"context"
	"testing"

	"go.uber.org/fx"

	"github.com/sockgate/sockgate/di"
	"github.com/sockgate/sockgate/gateway"
)

func TestFxRegistration(t *testing.T) {
	app := fx.New(fx.NopLogger, di.Module, fx.Supply(gateway.Config{Addr: "127.0.0.1:0"}),
		` + line + `
		fx.Invoke(func(*gateway.Server) {}),
	)
	if err := app.Err(); err != nil {
		t.Fatal(err)
	}
	if err := app.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := app.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}
`
	if err := os.WriteFile(filepath.Join(dir, "fx_test.go"), []byte(fxTest), 0o644); err != nil {
		t.Fatal(err)
	}
	goCmd(t, ".", "vet", "./"+dir)
	goCmd(t, ".", "test", "-count=1", "./"+dir)

	cmd = exec.Command(bin, "gen")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sockgate gen: %v\n%s", err, out)
	}
	ts := string(readFile(t, filepath.Join(dir, "sockgate-events.ts")))
	for _, want := range []string{
		"export type ClientToServerEvents = WidgetClientToServerEvents;",
		`"ping": (payload: WidgetPingRequest, ack: (res: WidgetPingReply | ErrorBody) => void) => void;`,
		`"ping-done": (payload: WidgetPingReply) => void;`,
	} {
		if !strings.Contains(ts, want) {
			t.Errorf("sockgate-events.ts lacks %q:\n%s", want, ts)
		}
	}
	readFile(t, filepath.Join(dir, "asyncapi.json"))
	readFile(t, filepath.Join(dir, generatedGoFile))
	goCmd(t, ".", "test", "-count=1", "./"+dir)
}

// TestNewGatewayEvents scaffolds a gateway with events whose names need converting.
func TestNewGatewayEvents(t *testing.T) {
	dir := scaffoldDir(t)
	var out, errOut bytes.Buffer
	if err := run([]string{"new", "gateway", "ChatRoomGateway", "-dir", dir, "-namespace", "/rooms", "-events", "chat:message, join-room"}, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	src := string(readFile(t, filepath.Join(dir, "chat_room_gateway.go")))
	for _, want := range []string{"type ChatRoomGateway struct", "`namespace:\"/rooms\"`",
		"_ decorators.Subscribe `ws:\"chat:message\"`", "_ decorators.Subscribe `ws:\"join-room\"`",
		"func (g *ChatRoomGateway) OnChatMessage(ctx context.Context, s *gateway.Socket, in ChatRoomChatMessageRequest) (ChatRoomChatMessageReply, error)",
		"func (g *ChatRoomGateway) OnJoinRoom("} {
		if !strings.Contains(src, want) {
			t.Errorf("chat_room_gateway.go lacks %q:\n%s", want, src)
		}
	}
	goCmd(t, ".", "test", "-count=1", "./"+dir)
}

func goCmd(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
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
