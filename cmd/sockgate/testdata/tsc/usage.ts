// Typed sockets of socket.io-client with the event types sockgate gen wrote for the chat
// example, as the README shows them. Each @ts-expect-error line is a misuse the types must
// refuse: tsc fails if it compiles.
import { io, Socket } from "socket.io-client";
import type {
  ClientToServerEvents,
  ServerToClientEvents,
  ChatClientToServerEvents,
  ChatServerToClientEvents,
  Receipt,
  ErrorBody,
} from "../../../../examples/chat/web/sockgate-events";
import type * as basic from "../basic/sockgate-events";

export async function chat(): Promise<void> {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io("http://localhost:3000");
  socket.on("new-message", (msg) => console.log(msg.userId, msg.text)); // ChatMessage | RoomChatMessage
  socket.on("user-typing", (t) => console.log(t.userId, t.isTyping));
  socket.on("exception", (err: ErrorBody) => console.log(err.code, err.message, err.event));
  const receipt: Receipt | ErrorBody = await socket.emitWithAck("message", { text: "hi" });
  if ("timestamp" in receipt) console.log(receipt.timestamp);
  const rooms = await socket.timeout(1000).emitWithAck("join-room", "lobby");
  console.log(rooms);
  socket.emit("typing", { isTyping: true });
  socket.emit("room-message", { room: "lobby", text: "hello" }, (res) => console.log(res));

  // @ts-expect-error: "text" is a string
  await socket.emitWithAck("message", { text: 42 });
  // @ts-expect-error: no such event
  socket.emit("mesage", { text: "hi" });
  // @ts-expect-error: the server sends no "message" event on "/"
  socket.on("message", () => {});
  // @ts-expect-error: a UserNotice has no text
  socket.on("user-joined", (n) => console.log(n.text));

  const chat: Socket<ChatServerToClientEvents, ChatClientToServerEvents> = io("http://localhost:3000/chat");
  chat.on("user-joined", (id: string) => console.log(id));
  const status = await chat.emitWithAck("message", { anything: 1 });
  console.log(status);
}

export function basicTypes(s: Socket<basic.ServerToClientEvents, basic.ClientToServerEvents>): void {
  s.emit("upload", "a.txt", new Uint8Array([1, 2]), (res) => console.log(res));
  s.emit("raw", 1, "two", { three: 3 });
  s.on("notice", (n) => console.log(typeof n === "string" ? n : n.from));
  const level: basic.Level = "loud";
  // @ts-expect-error: not one of the Level constants
  const bad: basic.Level = "whisper";
  console.log(level, bad);
}
