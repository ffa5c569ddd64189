package sanitize_test

import (
	"fmt"

	"github.com/sockgate/sockgate/pipes/sanitize"
)

func ExampleHTML() {
	fmt.Println(sanitize.HTML(`<b>hi</b> & <script>alert(1)</script>bye`))
	fmt.Println(sanitize.HTML(`plain text is returned as it is`))
	// Output:
	// hi &amp; bye
	// plain text is returned as it is
}

type Message struct {
	Text string `json:"text" sanitize:"html"`
	ID   string `json:"id"`
}

func ExamplePipe() {
	m := Message{Text: `<img src=x onerror=alert(1)>look`, ID: "<kept>"}
	// The gateway calls the pipe with a pointer to each body parameter, after validation.
	if err := sanitize.Pipe()(nil, 0, &m); err != nil {
		fmt.Println(err)
	}
	fmt.Printf("%q %q\n", m.Text, m.ID)
	// Output: "look" "<kept>"
}
