// coral_inference live page: one tile per stream. Plain JavaScript, nothing fetched from elsewhere.
"use strict";
const tiles = {};            // stream name -> {el, pc, peer}
window.coralPeers = {};      // stream name -> RTCPeerConnection (tests read getStats() here)
// This page is one viewer (services.web.max_viewers counts pages): its previews all carry this id.
const VIEWER = Array.from(crypto.getRandomValues(new Uint8Array(12)), b => b.toString(16).padStart(2, "0")).join("");

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
  img.src = `/api/streams/${enc(name)}/mjpeg?viewer=${VIEWER}`;
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
      body: JSON.stringify({type: "offer", sdp: pc.localDescription.sdp, viewer: VIEWER})});
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
    for (const [name, s] of Object.entries(r.streams)) showStatus(name, s);
    document.getElementById("viewers").textContent = `${r.viewers ?? "–"} viewer(s)`;
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

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

function label(el, x, y, text, cls) {  // text in the stretched 0..1 viewBox, drawn at its natural aspect
  const box = $(el, ".overlay").getBoundingClientRect();
  const k = box.width > 0 && box.height > 0 ? box.height / box.width : 1;
  return svg("text", {class: cls, transform: `translate(${x} ${y}) scale(${k} 1)`}, text);
}

function aspect(name) {
  const box = $(tiles[name].el, ".overlay").getBoundingClientRect();
  return box.width > 0 && box.height > 0 ? (box.width / box.height).toFixed(3) : "";
}

function geometry(name, g) {   // the stream's zones and lines, normalized coordinates (viewBox 0 0 1 1)
  const t = tiles[name], el = t.el;
  t.geometry = g;
  t.aspect = aspect(name);
  const layer = $(el, ".overlay .geometry");
  layer.replaceChildren();
  for (const [zone, z] of Object.entries((g && g.zones) || {})) {
    const pts = z.polygon || [];
    if (pts.length < 3) continue;
    layer.appendChild(svg("polygon", {class: "zone", "data-zone": zone, points: pts.map(p => p.join(",")).join(" ")}));
    layer.appendChild(label(el, pts[0][0] + 0.01, pts[0][1] + 0.05, zone, "zone-name"));
  }
  for (const [line, l] of Object.entries((g && g.lines) || {})) {
    const [a, b] = l.points || [];
    if (!a || !b) continue;
    layer.appendChild(svg("line", {class: "line", "data-line": line, x1: a[0], y1: a[1], x2: b[0], y2: b[1]}));
    layer.appendChild(label(el, b[0] + 0.01, b[1] - 0.01, line, "line-name"));
  }
}

function tracks(name, r) {     // the tracked boxes of the newest result, with their ids
  const layer = $(tiles[name].el, ".overlay .tracks");
  layer.replaceChildren();
  for (const o of [...(r.predictions || []), ...(r.poses || [])]) {
    if (o.track_id === undefined || o.track_id === null || !o.box) continue;
    const [x0, y0, x1, y1] = o.box;
    layer.appendChild(svg("rect", {class: "track", "data-track": o.track_id, x: x0, y: y0,
                                   width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0)}));
    layer.appendChild(label(tiles[name].el, x0, Math.max(0.04, y0 - 0.01),
                            `#${o.track_id} ${o.label ?? o.class ?? "person"}`, "track-id"));
  }
}

const EVENTS_SHOWN = 8;
function showEvent(e) {
  const t = tiles[e.stream];
  if (!t) return;
  const ol = $(t.el, ".events");
  const none = $(ol, ".none");
  if (none) none.remove();
  const li = document.createElement("li");
  li.dataset.type = e.type;
  const where = e.zone ? ` ${e.zone}` : e.line ? ` ${e.line} ${e.direction || ""}` : "";
  const time = String(e.time || "").slice(11, 19);
  li.append(Object.assign(document.createElement("span"), {className: "type", textContent: e.type}),
            ` ${e.label ?? ""} #${e.track_id ?? "–"}${where} `,
            Object.assign(document.createElement("span"), {className: "muted", textContent: time}));
  ol.prepend(li);
  while (ol.children.length > EVENTS_SHOWN) ol.lastElementChild.remove();
}

async function events() {   // the feed first, then what came before it: none lost in between, none twice
  const seen = new Set(), early = [];
  let filled = false;
  const show = e => { if (!seen.has(e.seq)) { seen.add(e.seq); showEvent(e); } };
  const source = new EventSource("/api/events/feed");
  source.addEventListener("event", ev => { const e = JSON.parse(ev.data); if (filled) show(e); else early.push(e); });
  await new Promise(resolve => { source.addEventListener("hello", resolve, {once: true}); setTimeout(resolve, 3000); });
  try {
    const r = await api("/api/events?limit=100");
    r.events.forEach(show);
  } catch (e) { /* shown by the status poll */ }
  filled = true;
  early.forEach(show);
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
      if (tiles[name]) {
        $(tiles[name].el, ".result").textContent = JSON.stringify(r, null, 1);
        tracks(name, r);
        if (tiles[name].aspect !== aspect(name)) geometry(name, tiles[name].geometry);  // the view was resized
      }
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
  for (const name of info.streams) { tile(name); geometry(name, (info.geometry || {})[name]); }
  await refresh();
  for (const name of info.streams) {
    if (info.webrtc && window.RTCPeerConnection) webrtc(name, info); else mjpeg(name, info.webrtc ? "" : "WebRTC off");
    recordings(name);
  }
  results();
  events();
  config().catch(() => {});
  setInterval(refresh, 1000);
  setInterval(() => info.streams.forEach(recordings), 5000);
})();
