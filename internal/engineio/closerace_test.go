package engineio

import (
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Close racing websocket handshakes: a session registered just before Close must not
// start a reader after Close has waited for every goroutine (a WaitGroup misuse the race
// detector reports, and a goroutine left behind).
func TestCloseRacingWebSocketHandshakes(t *testing.T) {
	for range 30 {
		h := newRecorder(false)
		e := newEnv(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour}, h)
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d := websocket.Dialer{HandshakeTimeout: testTimeout}
				if ws, _, err := d.Dial(e.wsBase+"?EIO=4&transport=websocket", nil); err == nil {
					ws.Close()
				}
			}()
		}
		e.srv.Close()
		wg.Wait()
	}
}
