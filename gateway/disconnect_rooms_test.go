package gateway

import (
	"slices"
	"testing"
)

// TestRoomsInDisconnectHandlers: the disconnect handlers of a socket see the rooms it was
// in, as socket.io's "disconnecting" event does, so that they can tell those rooms; a
// broadcast to them reaches the members left.
func TestRoomsInDisconnectHandlers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		leave func(c *rawClient, s *Socket)
	}{
		{"client closes", func(c *rawClient, _ *Socket) { _ = c.ws.Close() }},
		{"client leaves the namespace", func(c *rawClient, _ *Socket) { c.send(`41`) }},
		{"server disconnects", func(_ *rawClient, s *Socket) { s.Disconnect() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, hs := newTestServer(t, Config{})
			type seen struct {
				rooms []string
				in    bool
			}
			seenCh := make(chan seen, 1)
			sockets := make(chan *Socket, 2)
			srv.OnConnection(func(s *Socket) {
				s.Join("lobby", "games")
				s.OnDisconnect(func(DisconnectReason) {
					seenCh <- seen{s.Rooms(), s.IsInRoom("games")}
					_ = s.To("games").Emit("left", s.ID())
				})
				sockets <- s
			})
			leaving := dialRaw(t, hs)
			id := leaving.connect("/")
			s := <-sockets
			other := dialRaw(t, hs)
			other.connect("/")
			<-sockets

			tc.leave(leaving, s)
			got := <-seenCh
			want := []string{id, "games", "lobby"}
			rooms := slices.Clone(got.rooms)
			slices.Sort(rooms[1:])
			if !slices.Equal(rooms, want) || !got.in {
				t.Fatalf("in the disconnect handler: Rooms() = %v, IsInRoom(games) = %v; want %v and true", got.rooms, got.in, want)
			}
			other.expect(`42["left","` + id + `"]`)
			for _, n := range []string{"games", "lobby"} {
				if ids := srv.To(n).LocalSocketIDs(); len(ids) != 1 || ids[0] == id {
					t.Fatalf("room %s holds %v after the disconnect, want only the other socket", n, ids)
				}
			}
		})
	}
}
