// The live view: one WebSocket (API Gateway's WebSocket API in AWS, the local stand-in here),
// authorised with the same token at connect. Messages: {type: "call"|"turn"|"tool", ...}.
import { loadConfig, token } from "/api.js";

const listeners = new Set();
let socket = null;
let retry = 1000;

export function onLive(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export async function connectLive() {
  if (socket || !token()) return;
  const { liveUrl } = await loadConfig();
  socket = new WebSocket(`${liveUrl}?token=${encodeURIComponent(token())}`);
  socket.addEventListener("open", () => {
    retry = 1000;
    document.body.dataset.live = "open";
  });
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    for (const listener of listeners) listener(message);
  });
  socket.addEventListener("close", () => {
    socket = null;
    document.body.dataset.live = "closed";
    if (token()) setTimeout(connectLive, retry);
    retry = Math.min(retry * 2, 30000);
  });
}

export function disconnectLive() {
  if (socket) socket.close();
}
