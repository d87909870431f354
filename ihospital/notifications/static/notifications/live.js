// Live notifications for signed-in pages (loaded by web/base.html): keeps the unread badge in the nav
// current and shows a dismissible banner for each new message. The server only speaks; see
// ihospital/notifications/consumers.py for the events. Markup comes from #live-banner-template.

const PATH = "/ws/notifications/";
const NOT_SIGNED_IN = 4401;
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 60000;
const MAX_BANNERS = 3; // older ones stay in the message centre

let delay = FIRST_DELAY_MS;

function setUnread(count) {
  for (const badge of document.querySelectorAll("[data-unread-badge]")) {
    badge.querySelector("[data-count]").textContent = String(count);
    badge.hidden = count === 0;
  }
}

function showBanner(message) {
  const template = document.getElementById("live-banner-template");
  const stack = document.getElementById("live-banners");
  if (!template || !stack) return;
  const banner = template.content.firstElementChild.cloneNode(true);
  banner.querySelector("[data-field=title]").textContent = message.title;
  banner.querySelector("[data-field=body]").textContent = message.body;
  banner.querySelector("[data-field=link]").href = message.open_url;
  banner.dataset.kind = message.kind;
  stack.prepend(banner);
  while (stack.children.length > MAX_BANNERS) stack.lastElementChild.remove();
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}${PATH}`);
  socket.addEventListener("open", () => {
    delay = FIRST_DELAY_MS;
    // Joined: the server adds the socket to the person's group before accepting it (tests wait on this).
    document.documentElement.dataset.liveSocket = "open";
  });
  socket.addEventListener("message", (frame) => {
    const data = JSON.parse(frame.data);
    if (typeof data.unread_count === "number") setUnread(data.unread_count);
    if (data.event === "notification") {
      showBanner(data);
      // A page waiting for news of its own (a payment being confirmed) listens for this and asks again.
      document.dispatchEvent(new CustomEvent("live-notification", { detail: data }));
    }
  });
  socket.addEventListener("close", (closed) => {
    document.documentElement.dataset.liveSocket = "closed";
    if (closed.code === NOT_SIGNED_IN) return; // the next page load asks to sign in again
    // Jitter spreads the reconnections of every open page after a server restart.
    setTimeout(connect, delay + Math.random() * delay);
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  });
}

connect();
