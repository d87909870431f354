// The consultation room, for both participants: WebRTC video signalled over the room's socket, chat
// (text and photos), mute / camera / audio-only controls, and recovery after a network drop.
//
// Negotiation: the doctor always offers. Each offer starts a "session" (a fresh RTCPeerConnection on
// both sides), so a reloaded page or a dropped network simply starts a new session; the patient
// answers whatever session the doctor offers last. "hello" frames say "I am here" (fresh = no call).
import { csrfToken, liveSocket } from "./socket.js";
import { startRecording } from "./recorder.js";

const config = JSON.parse(document.getElementById("room-config").textContent);
const isDoctor = config.role === "doctor";
const localVideo = document.getElementById("local-video");
const remoteVideo = document.getElementById("remote-video");
const remoteAudio = document.getElementById("remote-audio");
const callState = document.querySelector("[data-call-state]");
const labels = JSON.parse(document.getElementById("room-labels").textContent);
const chatLog = document.getElementById("chat-log");

let localStream = null;
let pc = null;
let session = null;
let recorder = null;
let ended = document.querySelector(".room").dataset.ended === "true";
let mediaReady = null; // the camera/microphone request; every peer connection waits for it

function setState(key) {
  callState.textContent = labels[key] ?? key;
  callState.dataset.state = key;
}

async function openMedia() {
  // Video and sound; audio only if the camera is missing or refused; receive-only if both are.
  for (const constraints of [{ video: { width: 640, height: 480 }, audio: true }, { audio: true }]) {
    try {
      localStream = await navigator.mediaDevices.getUserMedia(constraints);
      localVideo.srcObject = localStream;
      document.body.dataset.audioOnly = String(!constraints.video);
      return;
    } catch (error) {
      console.warn("getUserMedia", constraints, error);
    }
  }
  localStream = new MediaStream();
  setState("noDevices");
}

function newPeer(sessionId) {
  pc?.close();
  session = sessionId;
  pc = new RTCPeerConnection({ iceServers: config.iceServers });
  for (const track of localStream.getTracks()) pc.addTrack(track, localStream);
  pc.addEventListener("icecandidate", ({ candidate }) => {
    signal({ candidate: candidate ? { ...candidate.toJSON(), session } : null });
  });
  pc.addEventListener("track", ({ streams: [stream] }) => {
    if (remoteVideo.srcObject !== stream) {
      remoteVideo.srcObject = stream;
      remoteAudio.srcObject = stream;
      remoteAudio.play().catch(() => (document.getElementById("enable-sound").hidden = false));
    }
  });
  pc.addEventListener("connectionstatechange", () => {
    const state = pc.connectionState;
    setState(state);
    if (state === "connected" && isDoctor && !recorder) {
      recorder = startRecording({ config, localStream, remoteStream: remoteVideo.srcObject });
    }
    if (state === "failed" && isDoctor) offer(); // a new session over whatever network there is now
  });
  return pc;
}

function signal(data) {
  socket.send({ type: "signal", data });
}

async function offer() {
  if (ended) return;
  await mediaReady;
  const peer = newPeer(crypto.randomUUID());
  await peer.setLocalDescription(await peer.createOffer());
  signal({ description: { type: "offer", sdp: peer.localDescription.sdp, session } });
}

async function onSignal(data) {
  if ("hello" in data) {
    if (isDoctor) {
      if (data.hello === "fresh" || pc?.connectionState !== "connected") await offer();
    } else if (!String(data.hello).endsWith(":reply")) {
      signal({ hello: `${pc?.connectionState === "connected" ? "rejoin" : "fresh"}:reply` });
    }
  } else if ("description" in data) {
    const description = data.description;
    if (!isDoctor && description.type === "offer") {
      await mediaReady;
      const peer = newPeer(description.session);
      await peer.setRemoteDescription({ type: "offer", sdp: description.sdp });
      await peer.setLocalDescription(await peer.createAnswer());
      signal({ description: { type: "answer", sdp: peer.localDescription.sdp, session } });
    } else if (isDoctor && description.type === "answer" && description.session === session) {
      await pc.setRemoteDescription({ type: "answer", sdp: description.sdp });
    }
  } else if ("candidate" in data && data.candidate && data.candidate.session === session && pc) {
    const { session: _ignored, ...candidate } = data.candidate;
    await pc.addIceCandidate(candidate).catch((error) => console.warn("candidate", error));
  }
}

// --- Chat ----------------------------------------------------------------------------------------

function showMessage(message) {
  if (document.getElementById(`m-${message.id}`)) return; // history and live may overlap on reconnect
  const item = document.createElement("div");
  item.id = `m-${message.id}`;
  item.className = `chat-message ${message.from === config.role ? "mine" : "theirs"}`;
  item.dataset.testid = "chat-message";
  if (message.kind === "image") {
    const link = document.createElement("a");
    link.href = message.image_url;
    link.target = "_blank";
    const image = document.createElement("img");
    image.src = message.image_url;
    image.alt = labels.photo;
    link.append(image);
    item.append(link);
  } else {
    item.textContent = message.text;
  }
  const time = document.createElement("small");
  time.textContent = new Date(message.sent_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", timeZone: "Asia/Shanghai" });
  item.append(time);
  chatLog.append(item);
  chatLog.scrollTop = chatLog.scrollHeight;
}

function showError(text) {
  const box = document.getElementById("room-error");
  box.textContent = text;
  box.hidden = false;
  setTimeout(() => (box.hidden = true), 6000);
}

document.getElementById("chat-form")?.addEventListener("submit", (submitted) => {
  submitted.preventDefault();
  const input = submitted.target.elements.text;
  const text = input.value.trim();
  if (!text) return;
  if (socket.send({ type: "chat", text })) input.value = "";
  else showError(labels.offline);
});

document.getElementById("chat-image")?.addEventListener("change", async (changed) => {
  const file = changed.target.files[0];
  if (!file) return;
  const body = new FormData();
  body.append("image", file);
  const response = await fetch(config.imageUploadUrl, { method: "POST", body, headers: { "X-CSRFToken": csrfToken() } });
  if (!response.ok) showError((await response.json().catch(() => ({}))).message ?? labels.uploadFailed);
  changed.target.value = "";
});

// --- Controls ------------------------------------------------------------------------------------

function toggle(kind, button) {
  const tracks = kind === "audio" ? localStream.getAudioTracks() : localStream.getVideoTracks();
  const on = !tracks.every((track) => track.enabled);
  for (const track of tracks) track.enabled = on;
  button.setAttribute("aria-pressed", String(!on));
  button.classList.toggle("active", !on);
  if (kind === "video") document.body.dataset.cameraOff = String(!on);
}

document.getElementById("toggle-mic")?.addEventListener("click", (e) => toggle("audio", e.currentTarget));
document.getElementById("toggle-camera")?.addEventListener("click", (e) => toggle("video", e.currentTarget));
document.getElementById("enable-sound")?.addEventListener("click", (e) => {
  remoteAudio.play();
  e.currentTarget.hidden = true;
});

function endCall(outcome, reason = "") {
  ended = true;
  document.body.dataset.ended = "true";
  pc?.close();
  for (const track of localStream?.getTracks() ?? []) track.stop();
  setState("ended");
  document.getElementById("ended-banner").hidden = false;
  for (const id of ["room-controls", "chat-form"]) {
    const element = document.getElementById(id);
    if (element) element.hidden = true;
  }
  if (outcome === "referred") {
    document.getElementById("referred-note").hidden = false;
    if (reason) document.getElementById("referral-reason").textContent = reason;
  }
}

// The doctor's end form waits for the recording's last chunk before leaving the page.
document.getElementById("end-form")?.addEventListener("submit", async (submitted) => {
  if (submitted.target.dataset.flushed) return;
  submitted.preventDefault();
  submitted.submitter.disabled = true;
  const outcome = submitted.submitter.value;
  await recorder?.stop();
  submitted.target.dataset.flushed = "1";
  submitted.target.querySelector("input[type=hidden][name=outcome]").value = outcome; // submit() sends no submitter
  submitted.target.submit();
});

// --- Socket --------------------------------------------------------------------------------------

const socket = liveSocket(config.socketPath, {
  onOpen() {
    if (!ended) setState(pc?.connectionState ?? "connecting"); // back online: show the call's own state
    signal({ hello: pc?.connectionState === "connected" ? "rejoin" : "fresh" });
  },
  onEvent(event) {
    if (event.event === "signal") onSignal(event.data).catch((error) => console.error("signal", error));
    else if (event.event === "chat") showMessage(event.message);
    else if (event.event === "ended") endCall(event.outcome, event.reason);
    else if (event.event === "error") showError(event.message);
    else if (event.event === "state" && ["completed", "referred", "auto_completed", "no_show"].includes(event.status)) endCall(event.status);
  },
  onClose() {
    if (!ended) setState("reconnecting");
  },
});
setInterval(() => socket.send({ type: "ping" }), 25000);

for (const message of JSON.parse(document.getElementById("chat-history").textContent)) showMessage(message);
if (!ended) {
  setState("connecting");
  mediaReady = openMedia(); // the doctor offers when the patient's "hello" arrives (see onSignal)
}
