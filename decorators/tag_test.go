package decorators

import (
	"errors"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	cases := []struct {
		in   string
		want Rate
		str  string
	}{
		{"20/s", Rate{Count: 20, Per: time.Second}, "20/s"},
		{"100/m", Rate{Count: 100, Per: time.Minute}, "100/m"},
		{"1/h", Rate{Count: 1, Per: time.Hour}, "1/h"},
		{"50/ms", Rate{Count: 50, Per: time.Millisecond}, "50/ms"},
		{"5/10s", Rate{Count: 5, Per: 10 * time.Second}, "5/10s"},
		{"5/1s", Rate{Count: 5, Per: time.Second}, "5/s"},
		{"3/1m30s", Rate{Count: 3, Per: 90 * time.Second}, "3/1m30s"},
		{"7/250ms", Rate{Count: 7, Per: 250 * time.Millisecond}, "7/250ms"},
		{"1000000000/s", Rate{Count: 1_000_000_000, Per: time.Second}, "1000000000/s"},
		{"007/s", Rate{Count: 7, Per: time.Second}, "7/s"},
		{"100/m,burst=100", Rate{Count: 100, Per: time.Minute, Burst: 100}, "100/m,burst=100"},
		{"10/s,burst=1", Rate{Count: 10, Per: time.Second, Burst: 1}, "10/s,burst=1"},
		{"5/10s,burst=050", Rate{Count: 5, Per: 10 * time.Second, Burst: 50}, "5/10s,burst=50"},
	}
	for _, tc := range cases {
		got, err := ParseRate(tc.in)
		if err != nil || got != tc.want || got.String() != tc.str {
			t.Errorf("ParseRate(%q) = %+v (%s), %v; want %+v (%s)", tc.in, got, got, err, tc.want, tc.str)
		}
	}
	for _, bad := range []string{"", "20", "/s", "20/", "0/s", "-1/s", "+1/s", "1.5/s", "x/s", "20/x", "20/sec",
		"20/0s", "20/-1s", "20/+1s", "20/s/s", " 20/s", "20 /s", "1000000001/s", "99999999999999999999/s", "20/1",
		"20/s,", "20/s,burst", "20/s,burst=", "20/s,burst=0", "20/s,burst=-1", "20/s, burst=2", "20/s,burst=2,", "20/s,burst=2,burst=3",
		"20/s,Burst=2", "20/s,max=2", "20/s;burst=2", "20/s,burst=1000000001", ",burst=2"} {
		r, err := ParseRate(bad)
		var te *TagError
		if !errors.As(err, &te) || !errors.Is(err, ErrInvalidValue) || te.Key != "rate" || te.Value != bad {
			t.Errorf("ParseRate(%q) = %+v, %v; want an invalid-value error naming rate", bad, r, err)
		}
	}
}

func TestIsReserved(t *testing.T) {
	for _, n := range []string{"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"} {
		if !IsReserved(n) {
			t.Errorf("%q not reserved", n)
		}
	}
	for _, n := range []string{"", "message", "connection", "Disconnect"} {
		if IsReserved(n) {
			t.Errorf("%q reserved", n)
		}
	}
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"20/s", "100/m", "5/10s", "3/1m30s", "0/s", "1/0s", "20/x", "9999999999/s", "100/m,burst=100", "1/s,burst=0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidValue) {
				t.Fatalf("ParseRate(%q): %v", s, err)
			}
			return
		}
		if r.Count <= 0 || r.Per <= 0 || r.Burst < 0 || r.BurstSize() <= 0 {
			t.Fatalf("ParseRate(%q) = %+v", s, r)
		}
		back, err := ParseRate(r.String())
		if err != nil || back != r {
			t.Fatalf("ParseRate(%q) = %+v; String %q parses to %+v, %v", s, r, r.String(), back, err)
		}
	})
}
