package socketio

import (
	"bytes"
	"encoding/json"
	"math"
	"net/netip"
	"testing"
	"time"
)

// The walker must write what encoding/json writes whenever there is no []byte to replace.
// These types hold an interface field, which forces the walker to handle them itself
// instead of handing them to encoding/json whole.

type walkedInner struct {
	A   int    `json:"a"`
	B   string `json:"b,omitempty"`
	Any any    `json:"any,omitempty"`
}

type WalkedEmbedded struct {
	E   int
	Dup string
	Any any `json:",omitempty"`
}

type walkedHidden struct {
	Dup string `json:"Dup"`
	H   int
}

type walkedConflictA struct{ X int }
type walkedConflictB struct{ X int }

type walkedBase struct{ D, E int }
type WalkedDupA struct{ walkedBase }
type WalkedDupB struct{ walkedBase }
type walkedDup struct {
	WalkedDupA
	WalkedDupB
	Any any
}

type walkedAll struct {
	WalkedEmbedded
	*walkedHidden
	walkedConflictA
	walkedConflictB

	Plain       string
	Tagged      int            `json:"tagged"`
	Skipped     int            `json:"-"`
	DashName    int            `json:"-,"`
	Empty       string         `json:",omitempty"`
	EmptySlice  []int          `json:",omitempty"`
	EmptyMap    map[string]int `json:"em,omitempty"`
	ZeroTime    time.Time      `json:"zt,omitzero"`
	SetTime     time.Time      `json:"st,omitzero"`
	ZeroStruct  walkedInner    `json:"zs,omitzero"`
	IntString   int            `json:"is,string"`
	PtrString   *int           `json:"ps,string"`
	NilPtrStr   *int           `json:"nps,string"`
	StrString   string         `json:"ss,string"`
	BoolString  bool           `json:"bs,string"`
	FloatString float64        `json:"fs,string"`
	NumString   json.Number    `json:"ns,string"`
	Number      json.Number
	Float       float64
	Small       float32
	Big         float64
	Uint        uint8
	Inner       walkedInner
	InnerPtr    *walkedInner
	NilInner    *walkedInner
	List        []walkedInner
	NilList     []any
	Array       [2]any
	Map         map[string]any
	IntMap      map[int]any
	TextMap     map[netip.Addr]any
	NilMap      map[string]any
	Iface       any
	Addr        netip.Addr
	Dur         time.Duration
	Weird       string `json:"wéird name!"`
	BadTag      string `json:"bad\"tag"`
	Escaped     string
	unexported  int
}

func TestWalkerMatchesEncodingJSON(t *testing.T) {
	seven := 7
	v := walkedAll{
		WalkedEmbedded:  WalkedEmbedded{E: 1, Dup: "shallow", Any: "x"},
		walkedHidden:    &walkedHidden{Dup: "hidden", H: 2},
		walkedConflictA: walkedConflictA{X: 1},
		walkedConflictB: walkedConflictB{X: 2},
		Plain:           "plain",
		Tagged:          3,
		Skipped:         4,
		DashName:        5,
		SetTime:         time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
		IntString:       6,
		PtrString:       &seven,
		StrString:       "quo\"te",
		BoolString:      true,
		FloatString:     1.25,
		NumString:       "12.5",
		Number:          "1e3",
		Float:           1e21,
		Small:           float32(1e-7),
		Big:             math.MaxFloat64,
		Uint:            255,
		Inner:           walkedInner{A: 1, B: "b", Any: []any{1, "two", nil}},
		InnerPtr:        &walkedInner{A: 2},
		List:            []walkedInner{{A: 3}, {A: 4, Any: map[string]any{"k": true}}},
		Array:           [2]any{1, "x"},
		Map:             map[string]any{"b": 1, "a": []any{map[string]any{"z": nil, "y": 2.5}}, "<>": "&"},
		IntMap:          map[int]any{-1: "m", 10: "t", 2: "two"},
		TextMap:         map[netip.Addr]any{netip.MustParseAddr("10.0.0.2"): 2, netip.MustParseAddr("10.0.0.10"): 10},
		Iface:           &walkedInner{A: 5},
		Addr:            netip.MustParseAddr("::1"),
		Dur:             time.Second,
		Weird:           "w",
		BadTag:          "b",
		Escaped:         "\x00\x1f\t\n\r\b\f\"\\/\u2028\u2029é\xff<>&",
		unexported:      9,
	}
	values := []any{
		v,
		&v,
		walkedAll{},
		[]any{v, &v, nil},
		map[string]any{"v": v, "n": nil, "s": []walkedAll{v}},
		walkedInner{Any: walkedInner{Any: walkedInner{}}},
		[]walkedInner{},
		[]walkedInner(nil),
		struct{ Embedded *WalkedEmbedded }{},
		walkedDup{Any: 1},
	}
	for i, val := range values {
		want := jsonEncode(t, []any{val})
		got, atts, err := AppendArgs(nil, []any{val})
		if err != nil {
			t.Fatalf("value %d: %v", i, err)
		}
		if atts != nil {
			t.Errorf("value %d: unexpected attachments", i)
		}
		if string(got) != want {
			t.Errorf("value %d:\n got  %s\n want %s", i, got, want)
		}
	}
}

func jsonEncode(t testing.TB, v any) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "\x00\x01\x1f\x7f", "\b\f\n\r\t", `"\/`, "<>&", "\u2028\u2029",
		"é日本\U0001F600", "\xff", "a\xc3", "\xed\xa0\x80", "\xf4\x90\x80\x80"} {
		got := string(appendString(nil, s))
		if want := jsonEncode(t, s); got != want {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\x00", "\u2028", "\xff\xfe", "日本"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(appendString(nil, s)), jsonEncode(t, s); got != want {
			t.Fatalf("appendString(%q) = %s, want %s", s, got, want)
		}
	})
}
