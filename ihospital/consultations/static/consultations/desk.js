// The doctor's desk: the queue re-renders (htmx) whenever the server says it changed; a check-in
// raises an alert. The socket's presence is what tells patients the doctor is online.
import { liveSocket } from "./socket.js";

const desk = document.querySelector("[data-desk]");
const alerts = document.getElementById("desk-alerts");

function refreshQueue() {
  window.htmx?.ajax("GET", desk.dataset.queueUrl, { target: "#desk-queue", swap: "innerHTML" });
}

function alertDoctor(text) {
  const item = document.createElement("div");
  item.className = "alert alert-warning alert-dismissible fade show shadow-sm mb-2";
  item.setAttribute("role", "alert");
  item.dataset.testid = "desk-alert";
  item.textContent = text;
  const close = document.createElement("button");
  close.className = "btn-close";
  close.dataset.bsDismiss = "alert";
  item.append(close);
  alerts.prepend(item);
  setTimeout(() => item.remove(), 20000);
  try {
    const audio = new AudioContext();
    const osc = audio.createOscillator();
    osc.frequency.value = 880;
    osc.connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.15);
  } catch {
    /* no sound before the first tap: the visual alert stays */
  }
}

const socket = liveSocket("/ws/desk/", {
  onEvent(event) {
    if (event.event === "desk") {
      refreshQueue();
      if (event.alert) alertDoctor(event.alert);
    } else if (event.event === "queue") {
      document.querySelector("[data-waiting-count]").textContent = event.waiting;
    }
  },
  onOpen: refreshQueue,
});
setInterval(() => socket.send({ type: "ping" }), 20000);
