// The patient's waiting room: queue position and the doctor's status, live; the ring when called.
import { liveSocket } from "./socket.js";

const page = document.querySelector("[data-waiting-room]");
const { socketPath } = page.dataset;
const position = document.querySelector("[data-position]");
const doctorStatus = document.querySelector("[data-doctor-status]");
const ringing = document.getElementById("ringing");
const missed = document.querySelector("[data-missed]");
const statusLabels = JSON.parse(document.getElementById("doctor-status-labels").textContent);
let tone = null;

function ring(on) {
  ringing.hidden = !on;
  if (on && !tone) {
    // A soft two-tone ring from WebAudio (no sound file to ship); browsers may mute it until a tap.
    const audio = new AudioContext();
    const gain = audio.createGain();
    gain.gain.value = 0.08;
    gain.connect(audio.destination);
    const beep = () => {
      for (const [at, hz] of [[0, 660], [0.25, 880]]) {
        const osc = audio.createOscillator();
        osc.frequency.value = hz;
        osc.connect(gain);
        osc.start(audio.currentTime + at);
        osc.stop(audio.currentTime + at + 0.2);
      }
    };
    beep();
    tone = { audio, timer: setInterval(beep, 1500) };
  } else if (!on && tone) {
    clearInterval(tone.timer);
    tone.audio.close();
    tone = null;
  }
}

function showState(event) {
  if (event.status === "in_progress") location.assign(page.dataset.roomUrl);
  else if (["completed", "referred", "auto_completed", "no_show"].includes(event.status)) location.reload();
  ring(event.status === "calling");
  if (missed) missed.hidden = event.status !== "missed";
}

liveSocket(socketPath, {
  onEvent(event) {
    if (event.event === "state") showState(event);
    else if (event.event === "queue") {
      position.textContent = event.position ?? "–";
      doctorStatus.textContent = statusLabels[event.doctor_status] ?? event.doctor_status;
      doctorStatus.dataset.status = event.doctor_status;
      doctorStatus.className = `badge ${{ online: "text-bg-success", in_consultation: "text-bg-warning" }[event.doctor_status] ?? "text-bg-secondary"}`;
    } else if (event.event === "ringing") showState({ status: "calling" });
    else if (event.event === "missed") showState({ status: "missed" });
    else if (event.event === "started") location.assign(page.dataset.roomUrl);
    else if (event.event === "ended") location.reload();
  },
});
