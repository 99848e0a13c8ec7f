// The viewer: plain W3C WebRTC, receive-only (aiortc's webcam client), with a few figures from getStats().
const $ = (id) => document.getElementById(id);
let pc;
let timer;
let previousFrames;

function waitForGathering() {
  return new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
  });
}

/** Codecs in use, received frame rate, and the server's sharing figures, once a second. */
async function showFigures() {
  const stats = await pc.getStats();
  const codecs = new Set();
  let frames = 0;
  for (const s of stats.values()) {
    if (s.type !== 'inbound-rtp') continue;
    const codec = s.codecId && stats.get(s.codecId);
    if (codec) codecs.add(codec.mimeType);
    if (s.kind === 'video') frames = s.framesDecoded ?? 0;
  }
  $('codecs').textContent = [...codecs].join(', ') || '–';
  $('codecs').dataset.codecs = [...codecs].join(',');
  if (previousFrames !== undefined) $('fps').textContent = String(frames - previousFrames);
  previousFrames = frames;
  const shared = await (await fetch('/stats')).json();
  $('viewers').textContent = String(shared.viewers);
  $('encoders').textContent =
    shared.encoders.map((e) => `${e.codec} (${e.subscribers} viewers)`).join(', ') || shared.mode;
}

async function start() {
  $('start').disabled = true;
  pc = new RTCPeerConnection();
  pc.onconnectionstatechange = () => ($('state').textContent = pc.connectionState);
  pc.ontrack = (e) => {
    if (e.track.kind === 'video') $('video').srcObject = e.streams[0] ?? new MediaStream([e.track]);
    else {
      const audio = document.createElement('audio');
      audio.autoplay = true;
      audio.srcObject = e.streams[0] ?? new MediaStream([e.track]);
      document.body.append(audio);
    }
  };
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  await pc.setLocalDescription();
  await waitForGathering();
  const res = await fetch('/offer', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(pc.localDescription),
  });
  if (!res.ok) throw new Error(await res.text());
  await pc.setRemoteDescription(await res.json());
  $('stop').disabled = false;
  timer = setInterval(() => showFigures().catch(() => undefined), 1000);
}

function stop() {
  $('stop').disabled = true;
  clearInterval(timer);
  pc.close();
  $('state').textContent = 'closed';
  $('start').disabled = false;
}

$('start').onclick = () =>
  start().catch((err) => {
    $('state').textContent = `error: ${err.message}`;
  });
$('stop').onclick = stop;
