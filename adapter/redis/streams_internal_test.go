package redis

import "testing"

// Node's hashCode (Java's String.hashCode) and stream choice, sign included: with
// streamCount 4, "/notifications" goes to "socket.io--3" (REDIS-ADAPTER.md 6.3).
func TestStreamOf(t *testing.T) {
	if h := hashCode("/notifications"); h != -1014064871 {
		t.Fatalf("hashCode(/notifications) = %d", h)
	}
	s := &Streams{cfg: StreamsConfig{StreamName: "socket.io", StreamCount: 4}}
	for nsp, want := range map[string]string{"/notifications": "socket.io--3", "/": "socket.io-3", "/news": "socket.io-" + itoa(int(hashCode("/news")%4))} {
		if got := s.streamOf(nsp); got != want {
			t.Errorf("streamOf(%q) = %q, want %q", nsp, got, want)
		}
	}
	one := &Streams{cfg: StreamsConfig{StreamName: "x", StreamCount: 1}}
	if got := one.streamOf("/any"); got != "x" {
		t.Errorf("one stream: %q", got)
	}
}

func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
