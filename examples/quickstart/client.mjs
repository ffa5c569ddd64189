import { io } from "socket.io-client";

const socket = io(process.env.SERVER_URL ?? "http://localhost:3000");
socket.on("hello", (who) => console.log("hello", who)); // hello world
const receipt = await socket.emitWithAck("message", { text: "hi" });
console.log(receipt); // { status: 'received' }
socket.disconnect();
