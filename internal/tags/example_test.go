package tags_test

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/sockgate/sockgate/decorators"
	"github.com/sockgate/sockgate/internal/tags"
)

type ChatGateway struct {
	decorators.Gateway `namespace:"/chat" use:"jwt"`

	_ decorators.Subscribe `ws:"message"`
	_ decorators.Subscribe `ws:"join-room" handler:"Join"`
	_ decorators.Subscribe `ws:"typing" rate:"20/s" use:"audit"`

	_ decorators.Emits[ChatMessage] `ws:"new-message"`
}

type ChatMessage struct {
	Text string `json:"text"`
}

// Reading a gateway declaration by reflection, as the gateway package does.
func Example() {
	t := reflect.TypeFor[ChatGateway]()
	for i := range t.NumField() {
		f := t.Field(i)
		switch f.Type {
		case reflect.TypeFor[decorators.Gateway]():
			gt, err := tags.ParseGateway(f.Tag)
			fmt.Println("gateway", gt.Namespace, gt.Use, err)
		case reflect.TypeFor[decorators.Subscribe]():
			st, err := tags.ParseSubscribe(f.Tag)
			if err != nil {
				fmt.Println(err)
				continue
			}
			method := st.Handler
			if method == "" {
				method = tags.MethodName(st.Event)
			}
			fmt.Println("event", st.Event, "->", method, st.Use, st.Rate)
		default:
			if payload, ok := decorators.EmitsPayload(f.Type); ok {
				et, err := tags.ParseEmits(f.Tag)
				fmt.Println("emits", et.Event, payload, err)
			}
		}
	}
	// Output:
	// gateway /chat [jwt] <nil>
	// event message -> OnMessage [] <nil>
	// event join-room -> Join [] <nil>
	// event typing -> OnTyping [audit] 20/s
	// emits new-message tags_test.ChatMessage <nil>
}

func ExampleParseSubscribe_errors() {
	for _, tag := range []reflect.StructTag{
		`ws:"message" colour:"red"`,
		`ws:"disconnect"`,
		`ws:"typing" rate:"20/x"`,
		`ws:"message" handler:"onMessage"`,
		`ws:"message"handler:"OnMessage"`,
	} {
		_, err := tags.ParseSubscribe(tag)
		fmt.Println(err)
		var te *decorators.TagError
		if errors.As(err, &te) && errors.Is(err, decorators.ErrReservedEvent) {
			fmt.Println("  reserved:", te.Value)
		}
	}
	// Output:
	// decorators: colour:"red": unknown tag key: known keys are ws, handler, use, rate
	// decorators: ws:"disconnect": reserved event name: socket.io reserves connect, connect_error, disconnect, disconnecting, newListener and removeListener; use the lifecycle hooks instead
	//   reserved: disconnect
	// decorators: rate:"20/x": invalid tag value: the interval must be ms, s, m, h or a positive duration such as 10s
	// decorators: handler:"onMessage": invalid tag value: not an exported Go identifier
	// decorators: bad struct tag syntax at byte 12 (key ws): pairs must be separated by a space
}

func ExampleMethodName() {
	for _, event := range []string{"message", "join-room", "chat:message", "user_joinedRoom", "v2.update"} {
		fmt.Println(event, "->", tags.MethodName(event))
	}
	// Output:
	// message -> OnMessage
	// join-room -> OnJoinRoom
	// chat:message -> OnChatMessage
	// user_joinedRoom -> OnUserJoinedRoom
	// v2.update -> OnV2Update
}
