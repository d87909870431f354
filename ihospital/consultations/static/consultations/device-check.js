// Preview camera and microphone before entering the waiting room: the picture and a sound level bar.
const video = document.getElementById("preview");
const meter = document.getElementById("mic-level");
const result = document.getElementById("device-result");

try {
  const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
  video.srcObject = stream;
  const audio = new AudioContext();
  const analyser = audio.createAnalyser();
  audio.createMediaStreamSource(stream).connect(analyser);
  const samples = new Uint8Array(analyser.fftSize);
  setInterval(() => {
    analyser.getByteTimeDomainData(samples);
    const peak = Math.max(...samples.map((s) => Math.abs(s - 128))) / 128;
    meter.style.width = `${Math.round(peak * 100)}%`;
  }, 100);
  result.dataset.ok = "true";
  result.textContent = result.dataset.okText;
  result.className = "alert alert-success";
} catch (error) {
  result.dataset.ok = "false";
  result.textContent = `${result.dataset.failText} (${error.name})`;
  result.className = "alert alert-danger";
}
