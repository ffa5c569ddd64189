package engineio

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockgate/sockgate/internal/eiocodec"
)

var benchText = []byte(`42["message",{"t":1700000000000000000,"p":"` + strings.Repeat("x", 64) + `"}]`)

func BenchmarkDecodePacket(b *testing.B) {
	bin := eiocodec.AppendPacket(nil, eiocodec.Packet{Type: eiocodec.PacketMessage, Data: make([]byte, 64), Binary: true})
	b.Run("text", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := eiocodec.DecodePacket(benchText); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("base64", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := eiocodec.DecodePacket(bin); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkAppendPacket(b *testing.B) {
	text := eiocodec.Packet{Type: eiocodec.PacketMessage, Data: benchText[1:]}
	bin := eiocodec.Packet{Type: eiocodec.PacketMessage, Data: make([]byte, 64), Binary: true}
	buf := make([]byte, 0, 512)
	b.Run("text", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf = eiocodec.AppendPacket(buf[:0], text)
		}
	})
	b.Run("binary", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf = eiocodec.AppendPacket(buf[:0], bin)
		}
	})
}

func benchPayload() []eiocodec.Packet {
	var pkts []eiocodec.Packet
	for range 8 {
		pkts = append(pkts, eiocodec.Packet{Type: eiocodec.PacketMessage, Data: benchText[1:]})
	}
	pkts = append(pkts, eiocodec.Packet{Type: eiocodec.PacketMessage, Data: make([]byte, 64), Binary: true}, eiocodec.Packet{Type: eiocodec.PacketPong})
	return pkts
}

func BenchmarkDecodePayload(b *testing.B) {
	payload := eiocodec.AppendPayload(nil, benchPayload()...)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	n := 0
	count := func(eiocodec.Packet) error { n++; return nil }
	for b.Loop() {
		if err := eiocodec.DecodePayload(payload, count); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendPayload(b *testing.B) {
	pkts := benchPayload()
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = eiocodec.AppendPayload(buf[:0], pkts...)
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkPollingDrain measures what a GET does with a queue of 10
// messages: encode them into one payload.
func BenchmarkPollingDrain(b *testing.B) {
	c := &Conn{srv: &Server{cfg: Config{}.withDefaults()}}
	msgs := make([]*Message, 10)
	for i := range msgs {
		msgs[i] = NewTextMessage(benchText)
	}
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		c.queue = append(c.queue, msgs...)
		buf = c.takeQueueLocked(buf[:0], nil)
	}
}

// benchSessions opens n websocket sessions, each client socket with a
// reader counting frames; wait blocks until want frames have arrived.
func benchSessions(b *testing.B, n int, queue int) ([]*Conn, func(want int)) {
	h := newRecorder(false)
	h.opens = make(chan *Conn, n)
	e := newEnv(b, Config{PingInterval: time.Hour, PingTimeout: time.Hour, WriteQueueSize: queue}, h)
	conns := make([]*Conn, n)
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	received := 0
	var wg sync.WaitGroup
	b.Cleanup(wg.Wait) // runs after the sockets are closed
	for i := range n {
		ws, _ := e.wsSession("")
		conns[i] = h.nextOpen(b)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if _, _, err := ws.NextReader(); err != nil {
					return
				}
				mu.Lock()
				received++
				cond.Broadcast()
				mu.Unlock()
			}
		}()
	}
	wait := func(want int) {
		mu.Lock()
		for received < want {
			cond.Wait()
		}
		received = 0
		mu.Unlock()
	}
	return conns, wait
}

// BenchmarkSendWebSocket: Send to one websocket session, delivery included.
func BenchmarkSendWebSocket(b *testing.B) {
	const window = 256
	conns, wait := benchSessions(b, 1, window)
	c := conns[0]
	b.SetBytes(int64(len(benchText)))
	b.ReportAllocs()
	sent := 0
	for b.Loop() {
		if err := c.Send(NewTextMessage(benchText)); err != nil {
			b.Fatal(err)
		}
		if sent++; sent == window {
			wait(sent)
			sent = 0
		}
	}
	wait(sent)
}

// BenchmarkBroadcastWebSocket: one Message to 100 websocket sessions per op.
func BenchmarkBroadcastWebSocket(b *testing.B) {
	const n = 100
	conns, wait := benchSessions(b, n, 1024)
	b.ReportAllocs()
	for b.Loop() {
		m := NewTextMessage(benchText)
		for _, c := range conns {
			if err := c.Send(m); err != nil {
				b.Fatal(err)
			}
		}
		wait(n)
	}
}
