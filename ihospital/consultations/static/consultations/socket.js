// A WebSocket that reconnects by itself (with backoff and jitter) and speaks JSON. After a network
// drop the server's first frame ("state") tells the page where things stand, so nothing is replayed.

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 15000;
const REFUSED = 4403; // not a participant: reconnecting would not help

export function liveSocket(path, { onEvent, onOpen, onClose } = {}) {
  let socket = null;
  let delay = FIRST_DELAY_MS;
  let stopped = false;
  const scheme = location.protocol === "https:" ? "wss" : "ws";

  function connect() {
    socket = new WebSocket(`${scheme}://${location.host}${path}`);
    socket.addEventListener("open", () => {
      delay = FIRST_DELAY_MS;
      onOpen?.();
    });
    socket.addEventListener("message", (frame) => onEvent?.(JSON.parse(frame.data)));
    socket.addEventListener("close", (closed) => {
      onClose?.(closed);
      if (stopped || closed.code === REFUSED) return;
      setTimeout(connect, delay + Math.random() * delay);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    });
  }

  connect();
  return {
    send(message) {
      if (socket?.readyState === WebSocket.OPEN) {
        socket.send(JSON.stringify(message));
        return true;
      }
      return false;
    },
    close() {
      stopped = true;
      socket?.close();
    },
  };
}

export function csrfToken() {
  return document.cookie.split("; ").find((c) => c.startsWith("csrftoken="))?.split("=")[1] ?? "";
}
