// Package sanitize removes HTML from user-supplied text with the strict policy of
// github.com/microcosm-cc/bluemonday, and offers it as a gateway pipe for string fields of
// message bodies.
//
// [HTML] keeps the text of its input and drops everything else: every tag, comment and
// declaration, and the contents of script and style elements. What remains is escaped
// for HTML (& < > " ' become character references), so the result can be inserted into a
// page as HTML and shows the text the user typed, without markup:
//
//	sanitize.HTML(`<b>hi</b> & <script>alert(1)</script>bye`) // "hi &amp; bye"
//
// Text that holds none of < > & " ' and no carriage return or NUL byte is returned as it is,
// without calling the policy.
//
// # Pipe
//
// [Pipe] returns a gateway.Pipe that applies HTML to every string field tagged
// `sanitize:"html"` of a handler's body parameters, after validation:
//
//	type Message struct {
//		Text string `json:"text" validate:"required,max=1000" sanitize:"html"`
//	}
//
//	srv, err := gateway.NewServer(cfg, gateway.WithPipes(sanitize.Pipe()))
//	// or by name, for `use:"sanitize"` tags:
//	srv, err := gateway.NewServer(cfg, gateway.WithNamed("sanitize", sanitize.Pipe()))
//
// Tagged fields are found in the body itself and through pointers, nested structs, slices,
// arrays and map values. A tag on a field that is not a string (or a named string type),
// or a tag value other than "html", fails the event with an internal error that names the
// type and field, the first time a body of that type arrives; the plan for each type is
// computed once.
//
// Validation runs before the pipe: a `max=` rule counts the characters the client sent,
// and the escaped result may be longer.
//
// # Concurrency
//
// HTML and the pipe are safe for concurrent use. The package starts no goroutines.
package sanitize
