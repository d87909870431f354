// Recording of the call in the doctor's browser: both faces drawn on a canvas and both voices mixed,
// recorded as WebM and uploaded in 5-second chunks while the call lasts, so a crash loses at most the
// chunk in flight. The server joins the chunks (consultations.services.recording).
import { csrfToken } from "./socket.js";

const TIMESLICE_MS = 5000;
const WIDTH = 640;
const HEIGHT = 360;

function pickMimeType() {
  return ["video/webm;codecs=vp8,opus", "video/webm;codecs=vp9,opus", "video/webm"].find((type) =>
    MediaRecorder.isTypeSupported(type),
  );
}

function composite(localStream, remoteStream) {
  const canvas = document.createElement("canvas");
  canvas.width = WIDTH;
  canvas.height = HEIGHT;
  const context = canvas.getContext("2d");
  const remote = document.getElementById("remote-video");
  const local = document.getElementById("local-video");
  const draw = () => {
    context.fillStyle = "#111";
    context.fillRect(0, 0, WIDTH, HEIGHT);
    if (remote.videoWidth) context.drawImage(remote, 0, 0, WIDTH, HEIGHT);
    if (local.videoWidth) context.drawImage(local, WIDTH - 170, HEIGHT - 130, 160, 120);
  };
  const timer = setInterval(draw, 1000 / 15); // a timer, not rAF: keeps drawing in a background tab
  const audio = new AudioContext();
  const mix = audio.createMediaStreamDestination();
  for (const stream of [localStream, remoteStream]) {
    if (stream?.getAudioTracks().length) audio.createMediaStreamSource(stream).connect(mix);
  }
  const mixed = new MediaStream([...canvas.captureStream(15).getVideoTracks(), ...mix.stream.getAudioTracks()]);
  return { stream: mixed, stop: () => (clearInterval(timer), audio.close()) };
}

export function startRecording({ config, localStream, remoteStream }) {
  const indicator = document.querySelector("[data-recording]");
  let seq = 0;
  let uploads = Promise.resolve();
  let take = null;
  const source = composite(localStream, remoteStream);
  const mimeType = pickMimeType();
  const media = new MediaRecorder(source.stream, { mimeType, videoBitsPerSecond: 600_000 });

  async function upload(blob, number) {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      try {
        const response = await fetch(`${take.chunkUrl}${number}/`, {
          method: "POST",
          body: blob,
          headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/octet-stream" },
        });
        if (response.ok || response.status === 409) return;
      } catch (error) {
        console.warn("chunk upload", number, error);
      }
      await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** attempt));
    }
  }

  const started = fetch(config.recordingsUrl, {
    method: "POST",
    headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/json" },
    body: JSON.stringify({ mimeType }),
  }).then(async (response) => {
    take = await response.json();
    if (!response.ok) throw new Error(take.message);
    media.start(TIMESLICE_MS);
    indicator.hidden = false;
  });

  media.addEventListener("dataavailable", ({ data }) => {
    if (!data.size) return;
    const number = seq++;
    uploads = uploads.then(() => upload(data, number)); // in order, one at a time
  });

  return {
    async stop() {
      await started.catch(() => null);
      if (media.state !== "inactive") {
        const stopped = new Promise((resolve) => media.addEventListener("stop", resolve, { once: true }));
        media.stop();
        await stopped;
      }
      source.stop();
      indicator.hidden = true;
      await uploads;
      if (take?.finishUrl) {
        await fetch(take.finishUrl, { method: "POST", headers: { "X-CSRFToken": csrfToken() } });
      }
    },
  };
}
