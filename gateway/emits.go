package gateway

import (
	"fmt"
	"reflect"

	"github.com/sockgate/sockgate/internal/tags"
)

// checkEmits checks a decorators.Emits field at registration, as sockgate gen does: its
// tag, its payload type (which must travel as JSON), and that the same event is not
// declared twice with the same payload. seen holds the event and payload pairs so far.
// The runtime does not check what handlers emit against these declarations.
func checkEmits(tag reflect.StructTag, payload reflect.Type, seen map[string]bool) error {
	et, err := tags.ParseEmits(tag)
	if err != nil {
		return err
	}
	if err := checkJSONType(payload); err != nil {
		return fmt.Errorf("payload %s: %w", payload, err)
	}
	key := et.Event + "\x00" + payload.String()
	if seen[key] {
		return fmt.Errorf("event %q is already declared with payload %s", et.Event, payload)
	}
	seen[key] = true
	return nil
}
