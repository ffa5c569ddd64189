package interoptest

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestBinJSON(t *testing.T) {
	tests := []struct {
		name string
		bin  Bin
		json string
	}{
		{"empty", Bin{}, `{"$bin":""}`},
		{"bytes", Bin{0, 1, 255}, `{"$bin":"AAH/"}`},
		{"text", Bin("hi"), `{"$bin":"aGk="}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.bin)
			if err != nil || string(b) != tc.json {
				t.Fatalf("Marshal = %s, %v; want %s", b, err, tc.json)
			}
			var back Bin
			if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, tc.bin) {
				t.Fatalf("Unmarshal = %v, %v; want %v", back, err, tc.bin)
			}
		})
	}
	for _, bad := range []string{`"AAH/"`, `{"$bin":"%%"}`, `{"other":"AA=="}`, `[1]`, `null`} {
		var b Bin
		if err := json.Unmarshal([]byte(bad), &b); err == nil {
			t.Errorf("Unmarshal(%s) = %v, want an error", bad, b)
		}
	}
}

func TestValues(t *testing.T) {
	v := Values{
		json.RawMessage(`"s"`),
		json.RawMessage(`{"a":{"$bin":"AQI="},"n":[1,{"$bin":""}],"keep":{"$bin":"AQ==","x":1}}`),
		json.RawMessage(`{"$bin":"AQ=="}`),
		json.RawMessage(`not json`),
	}
	tests := []struct {
		i    int
		want any
	}{
		{0, "s"},
		{1, map[string]any{
			"a":    []byte{1, 2},
			"n":    []any{1.0, []byte{}},
			"keep": map[string]any{"$bin": "AQ==", "x": 1.0},
		}},
		{2, []byte{1}},
		{3, nil},
		{4, nil},
		{-1, nil},
	}
	for _, tc := range tests {
		if got := v.Value(tc.i); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Value(%d) = %#v, want %#v", tc.i, got, tc.want)
		}
	}
	var s struct {
		A Bin `json:"a"`
	}
	if err := v.Decode(1, &s); err != nil || !reflect.DeepEqual(s.A, Bin{1, 2}) {
		t.Errorf("Decode into Bin field: %v, %v", s.A, err)
	}
	if err := v.Decode(9, &s); err == nil {
		t.Error("Decode out of range succeeded")
	}
	if got := (Values{json.RawMessage(`1`), json.RawMessage(`"x"`)}).String(); got != `[1,"x"]` {
		t.Errorf("String() = %s", got)
	}
}

func TestMarshalArgs(t *testing.T) {
	tests := []struct {
		args []any
		want string
	}{
		{nil, `[]`},
		{[]any{"<a&b>", 1, nil}, `["<a&b>",1,null]`},
		{[]any{map[string]any{"f": Bin{7}}}, `[{"f":{"$bin":"Bw=="}}]`},
	}
	for _, tc := range tests {
		got, err := marshalArgs(tc.args)
		if err != nil || string(got) != tc.want {
			t.Errorf("marshalArgs(%v) = %s, %v; want %s", tc.args, got, err, tc.want)
		}
	}
	if _, err := marshalArgs([]any{make(chan int)}); err == nil {
		t.Error("marshalArgs accepted a channel")
	}
}
