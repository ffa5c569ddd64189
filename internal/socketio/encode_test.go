package socketio

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestAppendPacket(t *testing.T) {
	cases := []struct {
		p    Packet
		want string
	}{
		{Packet{Type: Connect}, `0`},
		{Packet{Type: Connect, Namespace: "/"}, `0`},
		{Packet{Type: Connect, Namespace: "/admin", Data: raw(`{"sid":"abc"}`)}, `0/admin,{"sid":"abc"}`},
		{Packet{Type: Disconnect, Namespace: "/admin"}, `1/admin,`},
		{Packet{Type: Event, Namespace: "/admin", ID: 0, HasID: true, Data: raw(`["x"]`)}, `2/admin,0["x"]`},
		{Packet{Type: Event, Namespace: "/", ID: 12, HasID: true, Data: raw(`["x"]`)}, `212["x"]`},
		{Packet{Type: Ack, Namespace: "/admin", ID: 1, HasID: true, Data: raw(`[]`)}, `3/admin,1[]`},
		{Packet{Type: ConnectError, Namespace: "/random", Data: raw(`{"message":"Invalid namespace"}`)},
			`4/random,{"message":"Invalid namespace"}`},
		{Packet{Type: BinaryEvent, Namespace: "/admin", Data: raw(`["x",` + ph0 + `]`), Attachments: [][]byte{{1}}},
			`51-/admin,["x",` + ph0 + `]`},
		{Packet{Type: BinaryEvent, Data: raw(`["x"]`)}, `50-["x"]`},
		{Packet{Type: BinaryAck, Namespace: "/", ID: 789, HasID: true, Data: raw(`[` + ph0 + `,` + ph1 + `]`), Attachments: [][]byte{{1}, {2}}},
			`62-789[` + ph0 + `,` + ph1 + `]`},
		// An EVENT or ACK with attachments can only be sent as the binary type.
		{Packet{Type: Event, Data: raw(`["x",` + ph0 + `]`), Attachments: [][]byte{{1}}}, `51-["x",` + ph0 + `]`},
		{Packet{Type: Ack, ID: 3, HasID: true, Data: raw(`[` + ph0 + `]`), Attachments: [][]byte{{1}}}, `61-3[` + ph0 + `]`},
	}
	for _, tc := range cases {
		if got := string(AppendPacket(nil, &tc.p)); got != tc.want {
			t.Errorf("AppendPacket(%+v) = %q, want %q", tc.p, got, tc.want)
		}
		// With the Engine.IO message type already in the buffer.
		if got := string(AppendPacket([]byte{'4'}, &tc.p)); got != "4"+tc.want {
			t.Errorf("AppendPacket after '4' = %q, want %q", got, "4"+tc.want)
		}
	}
}

type message struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

type upload struct {
	Name    string `json:"name"`
	Blob    []byte `json:"blob"`
	Thumb   []byte `json:"thumb,omitempty"`
	Secret  []byte `json:"-"`
	Dash    []byte `json:"-,"`
	Pointer *[]byte
	Inner   struct {
		B []byte `json:"b"`
	} `json:"inner"`
	private []byte
}

type blob []byte

// byteish is a byte type with its own JSON form, so a slice of it is an array, not binary.
type byteish byte

func (b byteish) MarshalJSON() ([]byte, error) { return []byte(`"b"`), nil }

// selfEncoded holds bytes but has its own JSON form: its bytes are not attachments.
type selfEncoded struct{ B []byte }

func (s selfEncoded) MarshalJSON() ([]byte, error) { return []byte(`"self"`), nil }

// ptrEncoded has its own JSON form only through a pointer, like encoding/json it is used
// when the value is addressable.
type ptrEncoded struct{ B []byte }

func (p *ptrEncoded) MarshalJSON() ([]byte, error) { return []byte(`"ptr"`), nil }

func TestAppendArgsBinary(t *testing.T) {
	b0, b1, b2 := []byte{0}, []byte{1}, []byte{2}
	cases := []struct {
		name string
		args []any
		want string
		atts [][]byte
	}{
		{"no args", nil, `[]`, nil},
		{"plain", []any{"a", 1, true, nil, 1.5}, `["a",1,true,null,1.5]`, nil},
		{"bytes", []any{b0}, `[` + ph0 + `]`, [][]byte{b0}},
		{"nil bytes", []any{[]byte(nil)}, `[null]`, nil},
		{"empty bytes", []any{[]byte{}}, `[` + ph0 + `]`, [][]byte{{}}},
		{"named byte slice", []any{blob{1}}, `[` + ph0 + `]`, [][]byte{{1}}},
		{"byte array is numbers", []any{[2]byte{1, 2}}, `[[1,2]]`, nil},
		{"marshaler elements are no binary", []any{[]byteish{1}}, `[["b"]]`, nil},
		{"nested any", []any{b0, map[string]any{"nested": []any{b1}}},
			`[` + ph0 + `,{"nested":[` + ph1 + `]}]`, [][]byte{b0, b1}},
		{"map keys sorted", []any{map[string]any{"z": b0, "a": b1}},
			`[{"a":` + ph0 + `,"z":` + ph1 + `}]`, [][]byte{b1, b0}},
		{"typed map", []any{map[string][]byte{"y": b0, "x": b1}},
			`[{"x":` + ph0 + `,"y":` + ph1 + `}]`, [][]byte{b1, b0}},
		{"int keys", []any{map[int]any{10: b0, 9: b1}},
			`[{"10":` + ph0 + `,"9":` + ph1 + `}]`, [][]byte{b0, b1}},
		{"slice of bytes", []any{[][]byte{b0, nil, b1}}, `[[` + ph0 + `,null,` + ph1 + `]]`, [][]byte{b0, b1}},
		{"pointer to bytes", []any{&b2}, `[` + ph0 + `]`, [][]byte{b2}},
		{"struct", []any{upload{Name: "a", Blob: b0, Secret: b2, Dash: b1, Inner: struct {
			B []byte `json:"b"`
		}{b2}}},
			`[{"name":"a","blob":` + ph0 + `,"-":` + ph1 + `,"Pointer":null,"inner":{"b":` + `{"_placeholder":true,"num":2}` + `}}]`,
			[][]byte{b0, b1, b2}},
		{"struct omitempty kept", []any{&upload{Thumb: b1, Pointer: &b0}},
			`[{"name":"","blob":null,"thumb":` + ph0 + `,"-":null,"Pointer":` + ph1 + `,"inner":{"b":null}}]`,
			[][]byte{b1, b0}},
		{"raw message verbatim", []any{json.RawMessage(` {"b": [1, 2]} `), b0},
			`[ {"b": [1, 2]} ,` + ph0 + `]`, [][]byte{b0}},
		{"raw message in map", []any{map[string]any{"r": json.RawMessage(`{"z": 1}`)}}, `[{"r":{"z": 1}}]`, nil},
		{"raw message in struct", []any{struct {
			R json.RawMessage
			P *json.RawMessage
		}{json.RawMessage(`[1, 2]`), &json.RawMessage{'3'}}}, `[{"R":[1, 2],"P":3}]`, nil},
		{"empty raw message", []any{json.RawMessage(nil)}, `[null]`, nil},
		{"marshaler with bytes", []any{selfEncoded{B: b0}}, `["self"]`, nil},
		{"pointer marshaler not addressable", []any{ptrEncoded{B: b0}}, `[{"B":` + ph0 + `}]`, [][]byte{b0}},
		{"pointer marshaler addressable", []any{&struct{ P ptrEncoded }{ptrEncoded{B: b0}}}, `[{"P":"ptr"}]`, nil},
		{"pointer marshaler via pointer", []any{&ptrEncoded{B: b0}}, `["ptr"]`, nil},
		{"html not escaped", []any{"<a&b>", map[string]any{"<k>": "\u2028"}}, `["<a&b>",{"<k>":"\u2028"}]`, nil},
		{"time in walked struct", []any{struct {
			T time.Time
			B []byte
		}{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), b0}}, `[{"T":"2026-01-02T03:04:05Z","B":` + ph0 + `}]`, [][]byte{b0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, atts, err := AppendArgs(nil, tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("AppendArgs = %s\n                 want %s", got, tc.want)
			}
			if len(atts) != len(tc.atts) {
				t.Fatalf("attachments %v, want %v", atts, tc.atts)
			}
			for i := range atts {
				if string(atts[i]) != string(tc.atts[i]) {
					t.Errorf("attachment %d = %v, want %v", i, atts[i], tc.atts[i])
				}
			}
		})
	}
}

// TestBinbackExample is the nested binary emit observed from the reference server.
func TestBinbackExample(t *testing.T) {
	buf := []byte{1, 2, 3}
	data, atts, err := AppendEvent(nil, "binback", []any{buf, map[string]any{"nested": []any{buf}}})
	if err != nil {
		t.Fatal(err)
	}
	p := Packet{Type: BinaryEvent, Data: data, Attachments: atts}
	const want = `52-["binback",{"_placeholder":true,"num":0},{"nested":[{"_placeholder":true,"num":1}]}]`
	if got := string(AppendPacket(nil, &p)); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := string(AppendPacket([]byte("4"), &p)); got != "4"+want {
		t.Errorf("with EIO prefix: %s", got)
	}
	got, atts, err := AppendEventPacket([]byte("4"), "/", NoID, "binback", []any{buf, map[string]any{"nested": []any{buf}}})
	if err != nil || string(got) != "4"+want || len(atts) != 2 {
		t.Errorf("AppendEventPacket = %s, %d attachments, %v", got, len(atts), err)
	}
}

func TestAppendEvent(t *testing.T) {
	got, atts, err := AppendEvent([]byte("4"), "message-back", []any{"message to main namespace"})
	if err != nil || atts != nil || string(got) != `4["message-back","message to main namespace"]` {
		t.Errorf("got %s %v %v", got, atts, err)
	}
	got, _, err = AppendEvent(nil, "quote\"and\\slash", nil)
	if err != nil || string(got) != `["quote\"and\\slash"]` {
		t.Errorf("escaped name: %s %v", got, err)
	}
	for _, name := range []string{"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"} {
		dst := []byte("4")
		got, _, err := AppendEvent(dst, name, nil)
		if !errors.Is(err, ErrReservedEvent) || string(got) != "4" {
			t.Errorf("AppendEvent(%q) = %q, %v; want ErrReservedEvent", name, got, err)
		}
	}
}

func TestAppendArgsErrors(t *testing.T) {
	type cyclic struct {
		Next *cyclic
		B    []byte
	}
	loop := &cyclic{}
	loop.Next = loop
	cyc := []any{nil}
	cyc[0] = cyc
	cases := []struct {
		name string
		args []any
	}{
		{"bad raw message", []any{json.RawMessage(`{`)}},
		{"raw message with junk", []any{json.RawMessage(`1 2`)}},
		{"channel", []any{make(chan int)}},
		{"nan", []any{map[string]any{"x": nanValue()}}},
		{"cyclic struct", []any{loop}},
		{"cyclic slice", cyc},
		{"unsupported key", []any{map[[2]int]any{{1, 2}: 1}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dst := []byte("4")
			got, atts, err := AppendArgs(dst, tc.args)
			if err == nil {
				t.Fatalf("AppendArgs = %s, want an error", got)
			}
			if string(got) != "4" || atts != nil {
				t.Errorf("on error got %q %v, want the original buffer", got, atts)
			}
		})
	}
}

func nanValue() float64 {
	zero := 0.0
	return zero / zero
}

func TestAppendEventPacket(t *testing.T) {
	cases := []struct {
		nsp   string
		id    int64
		event string
		args  []any
		want  string
	}{
		{"/", NoID, "auth", []any{map[string]any{}}, `42["auth",{}]`},
		{"/custom", NoID, "auth", []any{json.RawMessage(`{"token":"abc"}`)}, `42/custom,["auth",{"token":"abc"}]`},
		{"/admin", 0, "x", nil, `42/admin,0["x"]`},
		{"/", 7, "x", []any{[]byte{1}}, `451-7["x",` + ph0 + `]`},
		{"/admin", 7, "x", []any{[]byte{1}, []byte{2}}, `452-/admin,7["x",` + ph0 + `,` + ph1 + `]`},
		{"/" + strings.Repeat("n", 100), 12345, "x", []any{[]byte{1}}, `451-/` + strings.Repeat("n", 100) + `,12345["x",` + ph0 + `]`},
	}
	for _, tc := range cases {
		got, _, err := AppendEventPacket([]byte("4"), tc.nsp, tc.id, tc.event, tc.args)
		if err != nil || string(got) != tc.want {
			t.Errorf("AppendEventPacket(%q, %d, %q) = %s, %v; want %s", tc.nsp, tc.id, tc.event, got, err, tc.want)
		}
	}
	got, atts, err := AppendAckPacket([]byte("4"), "/", 789, []any{[]byte{1, 2, 3}, []byte{4, 5, 6}})
	if err != nil || string(got) != `462-789[`+ph0+`,`+ph1+`]` || len(atts) != 2 {
		t.Errorf("AppendAckPacket = %s, %v, %v", got, atts, err)
	}
	got, _, err = AppendAckPacket([]byte("4"), "/", 456, []any{json.RawMessage(`1`), json.RawMessage(`"2"`), json.RawMessage(`{"3":[false]}`)})
	if err != nil || string(got) != `43456[1,"2",{"3":[false]}]` {
		t.Errorf("AppendAckPacket = %s, %v", got, err)
	}
	got, _, err = AppendEventPacket([]byte("4"), "/", NoID, "disconnect", nil)
	if !errors.Is(err, ErrReservedEvent) || string(got) != "4" {
		t.Errorf("reserved: %s %v", got, err)
	}
}

func TestRotate(t *testing.T) {
	for _, h := range []int{0, 1, 5, 64, 65, 200} {
		body := strings.Repeat("b", 37)
		head := strings.Repeat("h", h)
		b := []byte(body + head)
		rotate(b, len(body))
		if string(b) != head+body {
			t.Errorf("rotate with header %d: %q", h, b)
		}
	}
}
