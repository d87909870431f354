// The pharmacists' review queue: re-rendered (htmx) whenever the server says it changed (a prescription
// submitted or reviewed anywhere), and once on every (re)connection so nothing is missed while offline.
import { liveSocket } from "../consultations/socket.js";

const page = document.querySelector("[data-review-queue]");
const live = document.querySelector("[data-testid=rx-live]");

function refresh() {
  window.htmx?.ajax("GET", page.dataset.rowsUrl, { target: "#rx-review-rows", swap: "innerHTML" });
}

liveSocket("/ws/prescriptions/review/", {
  onEvent(event) {
    if (event.event === "review") refresh();
  },
  onOpen() {
    live.dataset.live = "on";
    live.classList.add("text-success");
    refresh();
  },
  onClose() {
    live.dataset.live = "off";
    live.classList.remove("text-success");
  },
});
