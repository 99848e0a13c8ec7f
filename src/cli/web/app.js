// The browser side of the demo: plain W3C WebRTC, no library.
const $ = (id) => document.getElementById(id);
const log = (line) => {
  const div = document.createElement('div');
  div.textContent = line;
  $('log').append(div);
  $('log').scrollTop = 1e9;
};

let pc;
let chat;
let file;

/** A small line plot of the last 60 values. */
function plot(id, values) {
  const c = $(id);
  const g = c.getContext('2d');
  g.clearRect(0, 0, c.width, c.height);
  const max = Math.max(1e-9, ...values);
  g.beginPath();
  values.forEach((v, i) => {
    const x = (i / 59) * c.width;
    const y = c.height - 2 - (v / max) * (c.height - 4);
    if (i === 0) g.moveTo(x, y);
    else g.lineTo(x, y);
  });
  g.strokeStyle = '#2a6';
  g.stroke();
}

const history = { sent: [], recv: [], fps: [], rtt: [] };
let previous;

/** Once a second: bitrates both ways, received frame rate, round-trip time and loss, from getStats(). */
async function sampleStats() {
  if (!pc || pc.connectionState === 'closed') return;
  const now = { sent: 0, recv: 0, frames: 0, lost: 0, received: 0, rtt: 0, t: performance.now() };
  for (const s of (await pc.getStats()).values()) {
    if (s.type === 'outbound-rtp') now.sent += s.bytesSent;
    if (s.type === 'inbound-rtp') {
      now.recv += s.bytesReceived;
      now.lost += s.packetsLost ?? 0;
      now.received += s.packetsReceived ?? 0;
      if (s.kind === 'video') now.frames += s.framesDecoded ?? 0;
    }
    if (s.type === 'candidate-pair' && s.nominated && s.currentRoundTripTime !== undefined)
      now.rtt = s.currentRoundTripTime * 1000;
  }
  if (previous) {
    const dt = (now.t - previous.t) / 1000;
    const push = (key, v) => {
      history[key].push(v);
      if (history[key].length > 60) history[key].shift();
    };
    const sent = ((now.sent - previous.sent) * 8) / dt / 1000;
    const recv = ((now.recv - previous.recv) * 8) / dt / 1000;
    const fps = (now.frames - previous.frames) / dt;
    push('sent', sent);
    push('recv', recv);
    push('fps', fps);
    push('rtt', now.rtt);
    const lossPct = now.received + now.lost > 0 ? (100 * now.lost) / (now.received + now.lost) : 0;
    $('sentRate').textContent = `${sent.toFixed(0)} kbit/s`;
    $('recvRate').textContent = `${recv.toFixed(0)} kbit/s`;
    $('recvRate').dataset.kbps = String(recv);
    $('fps').textContent = fps.toFixed(1);
    $('fps').dataset.fps = String(fps);
    $('rttLoss').textContent = `${now.rtt.toFixed(2)} ms / ${lossPct.toFixed(1)} %`;
    plot('plotSent', history.sent);
    plot('plotRecv', history.recv);
    plot('plotFps', history.fps);
    plot('plotRtt', history.rtt);
  }
  previous = now;
}

/** The returned video's current picture as RGBA pixels at its own size, or null before it plays. */
function remotePicture() {
  const v = $('remote');
  if (!v.videoWidth) return null;
  const c = document.createElement('canvas');
  c.width = v.videoWidth;
  c.height = v.videoHeight;
  const g = c.getContext('2d');
  g.drawImage(v, 0, 0);
  return g.getImageData(0, 0, c.width, c.height);
}

// For tests and the curious: what came back.
window.demo = {
  /** Colour of the returned video's top-left corner (where the Node peer puts its mark). */
  markColour() {
    return this.remotePixel(8, 8);
  },
  /** [r, g, b] of the returned video at (x, y) of its own size, or null. */
  remotePixel(x, y) {
    const p = remotePicture();
    if (!p) return null;
    const i = (Math.round(y) * p.width + Math.round(x)) * 4;
    return Array.from(p.data.slice(i, i + 3));
  },
  /** The brightest (r + g + b) / 3 along row y between x0 and x1: a thin line that a transform drew. */
  remoteRowMax(y, x0, x1) {
    const p = remotePicture();
    if (!p) return null;
    let max = 0;
    for (let x = x0; x <= x1; x++) {
      const i = (y * p.width + x) * 4;
      max = Math.max(max, (p.data[i] + p.data[i + 1] + p.data[i + 2]) / 3);
    }
    return max;
  },
  /** The darkest (r + g + b) / 3 along row y between x0 and x1. */
  remoteRowMin(y, x0, x1) {
    const p = remotePicture();
    if (!p) return null;
    let min = 255;
    for (let x = x0; x <= x1; x++) {
      const i = (y * p.width + x) * 4;
      min = Math.min(min, (p.data[i] + p.data[i + 1] + p.data[i + 2]) / 3);
    }
    return min;
  },
  size() {
    const v = $('remote');
    return [v.videoWidth, v.videoHeight];
  },
  audio: null,
  /** The loudest frequency of the returned audio (Hz). */
  audioPeak() {
    const a = this.audio;
    if (!a) return 0;
    const bins = new Float32Array(a.analyser.frequencyBinCount);
    a.analyser.getFloatFrequencyData(bins);
    let best = 0;
    for (let i = 1; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
    return bins[best] > -90 ? (best * a.ctx.sampleRate) / a.analyser.fftSize : 0;
  },
};

/** The page's codec choice, as aiortc's page filters its SDP but with the W3C call. */
function preferCodec(transceiver, kind, name) {
  if (!name || !transceiver.setCodecPreferences) return;
  const codecs = RTCRtpReceiver.getCapabilities(kind).codecs;
  const chosen = codecs.filter((c) => c.mimeType.toLowerCase() === `${kind}/${name}`.toLowerCase());
  const repair = codecs.filter((c) => /\/(rtx|red|ulpfec)$/i.test(c.mimeType));
  if (chosen.length) transceiver.setCodecPreferences([...chosen, ...repair]);
}

/** Which codecs the two directions use (from getStats), shown in the media legend. */
async function showCodecs() {
  const stats = await pc.getStats();
  const names = new Set();
  for (const s of stats.values()) {
    if ((s.type === 'inbound-rtp' || s.type === 'outbound-rtp') && s.codecId) {
      const codec = stats.get(s.codecId);
      if (codec) names.add(codec.mimeType.split('/')[1]);
    }
  }
  if (names.size) $('codecs').textContent = [...names].join(', ');
}

async function connect() {
  $('connect').disabled = true;
  pc = new RTCPeerConnection();
  pc.onconnectionstatechange = () => ($('state').textContent = pc.connectionState);
  if ($('media').checked) {
    const stream = await navigator.mediaDevices.getUserMedia({
      video: { width: 640, height: 480 },
      audio: true,
    });
    $('local').srcObject = stream;
    for (const track of stream.getTracks()) {
      const transceiver = pc.addTransceiver(track, { direction: 'sendrecv', streams: [stream] });
      preferCodec(transceiver, track.kind, $(track.kind === 'video' ? 'videoCodec' : 'audioCodec').value);
    }
    pc.ontrack = (e) => {
      if (e.track.kind === 'video') {
        $('remote').srcObject = new MediaStream([e.track]);
      } else {
        const stream = new MediaStream([e.track]);
        // Chromium feeds WebAudio only while an element plays the stream too.
        const audio = document.createElement('audio');
        audio.autoplay = true;
        audio.srcObject = stream;
        document.body.append(audio);
        const ctx = new AudioContext();
        const analyser = ctx.createAnalyser();
        analyser.fftSize = 8192;
        ctx.createMediaStreamSource(stream).connect(analyser);
        window.demo.audio = { ctx, analyser };
      }
    };
    setInterval(() => {
      sampleStats().catch(() => undefined);
      showCodecs().catch(() => undefined);
    }, 1000);
  }
  chat = pc.createDataChannel('chat');
  file = pc.createDataChannel('file');
  file.binaryType = 'arraybuffer';
  file.bufferedAmountLowThreshold = 1 << 20;

  chat.onopen = () => {
    for (const id of ['text', 'send', 'file', 'sample']) $(id).disabled = false;
    log('chat channel open');
    setInterval(
      () => chat.readyState === 'open' && chat.send(JSON.stringify({ ping: performance.now() })),
      500,
    );
  };
  chat.onmessage = (e) => {
    const msg = JSON.parse(e.data);
    if (msg.ping !== undefined) $('rtt').textContent = `${(performance.now() - msg.ping).toFixed(2)} ms`;
    else if (msg.echo !== undefined) log(`echo: ${msg.echo}`);
  };
  file.onmessage = (e) => {
    const r = JSON.parse(e.data);
    const mbps = r.bytes / 1e6 / (r.ms / 1000);
    $('result').textContent = `${r.bytes} bytes, sha-256 ${r.sha256.slice(0, 16)}…, ${mbps.toFixed(1)} MB/s`;
    $('result').dataset.sha256 = r.sha256;
    $('result').dataset.bytes = String(r.bytes);
  };

  await pc.setLocalDescription();
  await new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
  });
  const offer = { ...pc.localDescription.toJSON(), transform: $('transform').value };
  const res = await fetch('/offer', { method: 'POST', body: JSON.stringify(offer) });
  if (!res.ok) throw new Error(await res.text());
  await pc.setRemoteDescription(await res.json());
}

async function sendBytes(bytes) {
  const chunk = 16 * 1024;
  $('progress').max = bytes.byteLength;
  $('result').textContent = 'sending…';
  file.send(JSON.stringify({ start: bytes.byteLength }));
  for (let at = 0; at < bytes.byteLength; at += chunk) {
    if (file.bufferedAmount > 4 << 20) {
      await new Promise((resolve) => (file.onbufferedamountlow = resolve));
    }
    file.send(bytes.subarray(at, at + chunk));
    $('progress').value = at + chunk;
  }
  file.send(JSON.stringify({ end: true }));
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  $('progress').dataset.sha256 = [...new Uint8Array(digest)]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');
}

$('connect').onclick = () => connect().catch((err) => log(`error: ${err.message}`));
$('chat').onsubmit = (e) => {
  e.preventDefault();
  chat.send(JSON.stringify({ text: $('text').value }));
  $('text').value = '';
};
$('file').onchange = async () => {
  const f = $('file').files[0];
  if (f) await sendBytes(new Uint8Array(await f.arrayBuffer()));
};
$('sample').onclick = () => {
  const bytes = new Uint8Array(8 << 20);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131 + (i >> 8)) & 0xff;
  sendBytes(bytes);
};
