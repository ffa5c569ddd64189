package sockgate_test

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// The transport's entries of the hostile-input catalogue (issue 8.1, 8.3): bytes that are
// not UTF-8, and messages announced larger than what is sent. Each runs over websocket
// and polling, and is followed by a bystander being served (TestHostileCatalogue).
func init() {
	hostileCases = append(hostileCases,
		struct {
			name string
			run  func(t *testing.T, h *hostileServer, dial func() rawHelpers)
		}{"text that is not UTF-8", func(t *testing.T, h *hostileServer, dial func() rawHelpers) {
			for _, packet := range []string{"42[\"ping\",\"\xff\xfe\"]", "40/dyn-1\xff,", "42[\"ping\",\"caf\xc3\"]"} {
				c := dial()
				switch raw := c.rawConn.(type) {
				case *wsRaw:
					raw.send(t, packet)
					if err := readUntilClosed(raw.ws); !websocket.IsCloseError(err, websocket.CloseInvalidFramePayloadData) {
						t.Fatalf("%q: %v, want close 1007", packet, err)
					}
				case *pollRaw:
					if code := raw.post(packet); code != http.StatusBadRequest {
						t.Fatalf("%q: POST answered %d, want 400", packet, code)
					}
					if got := c.next(t); got != "" {
						t.Fatalf("%q: the session goes on (%q)", packet, got)
					}
				}
			}
		}},
		struct {
			name string
			run  func(t *testing.T, h *hostileServer, dial func() rawHelpers)
		}{"a message announced at 999,999 bytes, then silence", func(t *testing.T, h *hostileServer, dial func() rawHelpers) {
			// Twenty of them: each costs the bytes sent, not the size announced.
			for range 20 {
				c := dial()
				switch raw := c.rawConn.(type) {
				case *wsRaw:
					hdr := []byte{0x81, 0x80 | 127}
					hdr = binary.BigEndian.AppendUint64(hdr, 999_999)
					hdr = append(hdr, 0, 0, 0, 0, '4', '2', '[')
					if _, err := raw.ws.UnderlyingConn().Write(hdr); err != nil {
						t.Fatal(err)
					}
				case *pollRaw:
					stallPost(t, raw.url, 999_999, `42["ping","`)
				}
			}
		}},
	)
}

// readUntilClosed reads until the server ends the websocket and returns why.
func readUntilClosed(ws *websocket.Conn) error {
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			return err
		}
	}
}

// stallPost starts a POST announcing n bytes, sends the first part and stops; the
// connection stays open until the test ends.
func stallPost(t *testing.T, rawURL string, n int, part string) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	req := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: %d\r\n\r\n4%s",
		u.RequestURI(), u.Host, n, part)
	if _, err := nc.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(part, "\x1e") {
		t.Fatal("one packet only")
	}
}
