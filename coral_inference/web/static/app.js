// coral_inference live page: one tile per stream. Plain JavaScript, nothing fetched from elsewhere.
"use strict";
const tiles = {};            // stream name -> {el, pc, peer}
window.coralPeers = {};      // stream name -> RTCPeerConnection (tests read getStats() here)

const $ = (root, sel) => root.querySelector(sel);
const fmt = (v, d = 1) => (v === null || v === undefined || Number.isNaN(v)) ? "–" : Number(v).toFixed(d);
const enc = encodeURIComponent;

async function api(path, options = {}) {
  const response = await fetch(path, {credentials: "same-origin", ...options});
  const body = await response.json().catch(() => ({error: response.statusText}));
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function tile(name) {
  const el = document.getElementById("tile").content.firstElementChild.cloneNode(true);
  el.dataset.stream = name;
  $(el, ".name").textContent = name;
  el.querySelectorAll("button[data-action]").forEach(b => b.addEventListener("click", () => control(name, b.dataset.action)));
  document.getElementById("tiles").appendChild(el);
  tiles[name] = {el};
  return el;
}

async function control(name, action) {
  const msg = $(tiles[name].el, ".message");
  msg.textContent = `${action}…`;
  try {
    const r = await api(`/api/streams/${enc(name)}/${action}`, {method: "POST"});
    msg.textContent = `${action}: ${r.status}`;
  } catch (e) { msg.textContent = e.message; }
  refresh();
}

function mjpeg(name, why) {
  const t = tiles[name], img = $(t.el, "img");
  $(t.el, "video").hidden = true;
  img.hidden = false;
  img.src = `/api/streams/${enc(name)}/mjpeg`;
  $(t.el, ".transport").textContent = "MJPEG" + (why ? ` (${why})` : "");
}

async function webrtc(name, info) {
  const t = tiles[name];
  const pc = new RTCPeerConnection({iceServers: info.webrtc.ice_servers});
  window.coralPeers[name] = t.pc = pc;
  pc.addTransceiver("video", {direction: "recvonly"});
  pc.ontrack = ev => { $(t.el, "video").srcObject = ev.streams[0] || new MediaStream([ev.track]); };
  pc.onconnectionstatechange = () => {
    $(t.el, ".transport").textContent = `WebRTC ${pc.connectionState}`;
    if (pc.connectionState === "failed") mjpeg(name, "WebRTC failed");
  };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise(resolve => {   // the server takes one offer with every candidate in it
    if (pc.iceGatheringState === "complete") return resolve();
    const done = () => { if (pc.iceGatheringState === "complete") resolve(); };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, 3000);
  });
  try {
    const answer = await api(`/api/streams/${enc(name)}/webrtc`, {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({type: "offer", sdp: pc.localDescription.sdp})});
    t.peer = answer.id;
    await pc.setRemoteDescription({type: answer.type, sdp: answer.sdp});
  } catch (e) {
    pc.close();
    delete window.coralPeers[name];
    $(t.el, ".view-error").hidden = false;
    $(t.el, ".view-error").textContent = `live view: ${e.message}`;
    if (!/too many viewers/.test(e.message)) mjpeg(name, "no WebRTC");
  }
}

function showStatus(name, s) {
  const el = tiles[name] && tiles[name].el;
  if (!el) return;
  const pill = $(el, ".status");
  const degraded = s.health === "degraded" && s.status !== "failed";
  pill.textContent = degraded ? `${s.status} · degraded` : s.status;
  pill.className = `status pill ${s.status}${degraded ? " degraded" : ""}`;
  const why = $(el, ".reasons");
  why.hidden = !degraded;
  why.textContent = degraded ? (s.reasons || []).join("; ") : "";
  $(el, ".fps").textContent = fmt(s.fps);
  const lat = s.latency_ms || {};
  $(el, ".latency").textContent = lat.p50 === undefined ? "–" : `${fmt(lat.p50)} / ${fmt(lat.p95)} ms`;
  $(el, ".frames").textContent = s.frames ?? "–";
  $(el, ".dropped").textContent = s.dropped ?? "–";
  $(el, ".reconnects").textContent = s.reconnects ?? "–";
  $(el, ".model").textContent = [s.model, s.backend].filter(Boolean).join(" / ") || "–";
  const wf = s.workflow || {};
  $(el, ".workflow").textContent = Object.keys(wf).length ? "workflow: " + JSON.stringify(wf) : "";
  const err = $(el, ".last-error");  // the API clears last_error when the stream recovers: so does the tile
  err.hidden = !s.last_error;
  err.textContent = s.last_error || "";
  const rec = s.recording, recEl = $(el, ".recording-state");
  if (recEl) {
    recEl.textContent = !rec ? "not recorded" : rec.status === "failed" ? `recording failed: ${rec.reason}`
      : `recording: ${rec.status}${rec.mode ? ` (${rec.mode === "copy" ? "camera's stream copied" : "encoded"})` : ""}`;
    recEl.className = `recording-state ${rec && rec.status === "failed" ? "error" : "muted"}`;
  }
}

async function refresh() {
  try {
    const r = await api("/api/streams");
    let viewers = 0;
    for (const [name, s] of Object.entries(r.streams)) { showStatus(name, s); viewers += s.viewers || 0; }
    document.getElementById("viewers").textContent = `${viewers} live view(s)`;
    document.getElementById("conn").textContent = "connected";
  } catch (e) { document.getElementById("conn").textContent = `offline: ${e.message}`; }
}

async function recordings(name) {
  try {
    const r = await api(`/api/streams/${enc(name)}/recordings`);
    const ul = $(tiles[name].el, ".recordings");
    ul.replaceChildren();
    if (!r.recordings.length) { ul.innerHTML = '<li class="muted">none yet</li>'; return; }
    for (const f of r.recordings) {
      const url = `/api/streams/${enc(name)}/recordings/${enc(f.name)}`;
      const li = document.createElement("li");
      const play = Object.assign(document.createElement("a"), {href: url, target: "_blank", textContent: f.name});
      const dl = Object.assign(document.createElement("a"), {href: url + "?download=1", textContent: "download"});
      li.append(play, ` (${(f.bytes / 1e6).toFixed(2)} MB) `, dl);
      ul.appendChild(li);
    }
  } catch (e) { /* shown by the status poll */ }
}

function results() {
  const source = new EventSource("/api/results");
  const last = {};
  source.addEventListener("result", ev => {
    const r = JSON.parse(ev.data);
    last[r.stream] = r;
  });
  setInterval(() => {   // at most a few updates a second, whatever the result rate
    for (const [name, r] of Object.entries(last)) {
      if (tiles[name]) $(tiles[name].el, ".result").textContent = JSON.stringify(r, null, 1);
      delete last[name];
    }
  }, 300);
}

async function config() {
  const r = await api("/api/config");
  const body = $(document, "#config tbody"), filter = document.getElementById("config-filter");
  const draw = () => {
    body.replaceChildren();
    for (const item of r.config.filter(i => i.key.includes(filter.value))) {
      const tr = document.createElement("tr");
      for (const text of [item.key, JSON.stringify(item.value), item.source]) {
        tr.appendChild(Object.assign(document.createElement("td"), {textContent: text}));
      }
      body.appendChild(tr);
    }
  };
  filter.addEventListener("input", draw);
  draw();
}

window.addEventListener("pagehide", () => {
  for (const t of Object.values(tiles)) {
    if (t.peer) fetch(`/api/webrtc/${enc(t.peer)}`, {method: "DELETE", keepalive: true, credentials: "same-origin"});
  }
});

(async function main() {
  const info = await api("/api/info");
  for (const name of info.streams) tile(name);
  await refresh();
  for (const name of info.streams) {
    if (info.webrtc && window.RTCPeerConnection) webrtc(name, info); else mjpeg(name, info.webrtc ? "" : "WebRTC off");
    recordings(name);
  }
  results();
  config().catch(() => {});
  setInterval(refresh, 1000);
  setInterval(() => info.streams.forEach(recordings), 5000);
})();
