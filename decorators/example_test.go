package decorators_test

import (
	"fmt"
	"reflect"

	"github.com/sockgate/sockgate/decorators"
)

// NoticeGateway only sends: it declares what, with the payload types.
type NoticeGateway struct {
	decorators.Gateway `namespace:"/notices"`

	_ decorators.Emits[ChatMessage] `ws:"notice"`
	_ decorators.Emits[[]string]    `ws:"online"`
}

type ChatMessage struct {
	Text string `json:"text"`
}

// Finding the Emits declarations of a gateway and their payload types by reflection.
func ExampleEmitsPayload() {
	t := reflect.TypeFor[NoticeGateway]()
	for i := range t.NumField() {
		f := t.Field(i)
		if payload, ok := decorators.EmitsPayload(f.Type); ok {
			fmt.Println(f.Tag.Get("ws"), payload)
		}
	}
	// Output:
	// notice decorators_test.ChatMessage
	// online []string
}

func ExampleParseRate() {
	for _, s := range []string{"20/s", "100/m", "5/10s", "3/1m30s"} {
		r, err := decorators.ParseRate(s)
		fmt.Println(r.Count, r.Per, err)
	}
	// Output:
	// 20 1s <nil>
	// 100 1m0s <nil>
	// 5 10s <nil>
	// 3 1m30s <nil>
}
