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

async function connect() {
  $('connect').disabled = true;
  pc = new RTCPeerConnection();
  pc.onconnectionstatechange = () => ($('state').textContent = pc.connectionState);
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
  const res = await fetch('/offer', { method: 'POST', body: JSON.stringify(pc.localDescription) });
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
