/* Rally check-in scanner: camera (BarcodeDetector or the vendored jsQR), hand-held scanner
 * field, name search; works offline against a roster kept in IndexedDB and queues
 * check-ins (with their nonce and scan time) until the network returns.
 * No innerHTML with data anywhere: names go in through textContent. */
(function () {
  "use strict";

  var root = document.getElementById("scanner");
  if (!root) return;
  var cfg = root.dataset;
  var EVENT = cfg.event;
  var COOLDOWN_MS = parseInt(cfg.cooldown || "3000", 10);
  var ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  var TOKEN_LENGTH = 26;

  function $(id) { return document.getElementById(id); }
  var ui = {
    net: $("scan-net"), roster: $("scan-roster"),
    result: $("scan-result"), title: $("scan-title"), name: $("scan-name"), detail: $("scan-detail"),
    party: $("scan-party"), needs: $("scan-needs"),
    video: $("scan-video"), camMsg: $("scan-camera-msg"),
    camStart: $("scan-camera-start"), camStop: $("scan-camera-stop"),
    manual: $("scan-manual"), code: $("scan-code"),
    search: $("scan-search"), searchResults: $("scan-search-results"),
    pendingBox: $("scan-pending-box"), pending: $("scan-pending"), pendingCount: $("scan-pending-count"),
    conflictsBox: $("scan-conflicts-box"), conflicts: $("scan-conflicts")
  };

  var state = {
    csrf: cfg.csrf,
    roster: new Map(),      // token hash -> {h, name, checked_in_at, checked_in_at_local, by, pending}
    rosterAt: null,
    queue: new Map(),       // nonce -> queued scan
    syncing: false,
    busy: false,
    last: { code: null, at: 0 }
  };

  // --- small helpers ------------------------------------------------------------------

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function localTime(iso) {
    if (!iso) return "";
    try {
      return new Date(iso).toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
    } catch (e) { return iso; }
  }

  function newNonce() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function deviceId() {
    try {
      var id = localStorage.getItem("scanner-device");
      if (!id) { id = newNonce().slice(0, 8); localStorage.setItem("scanner-device", id); }
      return "scanner " + id;
    } catch (e) { return "scanner"; }
  }
  var DEVICE = deviceId();

  // The server's normalize_token + ticket URL parsing: a /t/<token> URL or the bare token.
  function parseToken(text) {
    text = (text || "").trim();
    if (text.indexOf("/") >= 0) {
      var path = text;
      try { path = new URL(text, location.origin).pathname; } catch (e) { return null; }
      var parts = path.split("/").filter(Boolean);
      if (parts.length < 2 || parts[parts.length - 2] !== "t") return null;
      text = decodeURIComponent(parts[parts.length - 1]);
    }
    var t = text.toUpperCase().replace(/O/g, "0").replace(/[IL]/g, "1").replace(/[-\s]/g, "");
    if (t.length !== TOKEN_LENGTH) return null;
    for (var i = 0; i < t.length; i++) if (ALPHABET.indexOf(t[i]) < 0) return null;
    return t;
  }

  function sha256hex(text) {
    return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(function (buf) {
      return Array.prototype.map.call(new Uint8Array(buf), function (b) {
        return ("0" + b.toString(16)).slice(-2);
      }).join("");
    });
  }

  function fold(s) {
    return (s || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  // --- IndexedDB: one roster record per event, one record per queued scan -------------

  var dbp = new Promise(function (resolve) {
    if (!("indexedDB" in window)) { resolve(null); return; }
    var r = indexedDB.open("petitions-scanner", 1);
    r.onupgradeneeded = function () {
      var d = r.result;
      d.createObjectStore("rosters", { keyPath: "event" });
      d.createObjectStore("queue", { keyPath: "nonce" });
    };
    r.onsuccess = function () { resolve(r.result); };
    r.onerror = function () { resolve(null); };
  });

  function idb(store, mode, fn) {
    return dbp.then(function (d) {
      if (!d) return null;
      return new Promise(function (resolve, reject) {
        var t = d.transaction(store, mode);
        var out = fn(t.objectStore(store));
        t.oncomplete = function () { resolve(out && "result" in out ? out.result : out); };
        t.onerror = t.onabort = function () { reject(t.error); };
      });
    });
  }

  var saveTimer = null;
  function saveRoster() {
    clearTimeout(saveTimer);
    saveTimer = null;
    return idb("rosters", "readwrite", function (s) {
      return s.put({ event: EVENT, fetched_at: state.rosterAt, attendees: Array.from(state.roster.values()) });
    }).catch(function () {});
  }
  function saveRosterSoon() {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(saveRoster, 300);
  }
  document.addEventListener("visibilitychange", function () { if (saveTimer) saveRoster(); });
  window.addEventListener("pagehide", function () { if (saveTimer) saveRoster(); });

  function putQueued(item) { return idb("queue", "readwrite", function (s) { return s.put(item); }); }
  function deleteQueued(nonce) { return idb("queue", "readwrite", function (s) { return s.delete(nonce); }); }

  // --- network ------------------------------------------------------------------------

  function NetError(msg) { this.message = msg; }

  function api(method, url, body) {
    var ctrl = new AbortController();
    var timer = setTimeout(function () { ctrl.abort(); }, 8000);
    var headers = { "Accept": "application/json" };
    if (body) { headers["Content-Type"] = "application/json"; headers["X-CSRFToken"] = state.csrf; }
    return fetch(url, {
      method: method, headers: headers, body: body ? JSON.stringify(body) : undefined,
      credentials: "same-origin", cache: "no-store", signal: ctrl.signal
    }).then(function (r) {
      clearTimeout(timer);
      if (r.status >= 500 || r.status === 429 || r.status === 408) throw new NetError("server busy (" + r.status + ")");
      return r.json().catch(function () { return {}; }).then(function (data) {
        data._status = r.status;
        return data;
      });
    }, function (e) {
      clearTimeout(timer);
      throw new NetError(e && e.message || "network error");
    });
  }

  function refreshCsrf() {
    return api("GET", cfg.csrfUrl).then(function (d) {
      if (d.csrf_token) state.csrf = d.csrf_token;
      return d._status;
    });
  }

  // POST one scan; retries once with a fresh CSRF token if the cached page's one was stale.
  function postScan(item, retried) {
    var body = { nonce: item.nonce, event: EVENT, scanned_at: item.scanned_at, device: DEVICE };
    if (item.token) body.token = item.token; else body.token_hash = item.h;
    return api("POST", cfg.checkinUrl, body).then(function (d) {
      if (d._status === 400 && !retried && /expired|did not come/i.test(d.error || "")) {
        return refreshCsrf().then(function () { return postScan(item, true); });
      }
      return d;
    });
  }

  function setNet(online) {
    ui.net.textContent = online ? "Online" : "Offline: scans are saved on this phone";
    ui.net.className = "net " + (online ? "online" : "offline");
  }

  // --- roster -------------------------------------------------------------------------

  function rosterSummary() {
    var total = state.roster.size, checked = 0;
    state.roster.forEach(function (a) { if (a.checked_in_at) checked++; });
    var when = state.rosterAt ? " · list from " + localTime(state.rosterAt) : "";
    ui.roster.textContent = "Guest list: " + total + " tickets · " + checked + " checked in" + when;
    ui.roster.dataset.count = String(total);
  }

  function loadRosterFromDevice() {
    return idb("rosters", "readonly", function (s) { return s.get(EVENT); }).then(function (rec) {
      if (rec && rec.attendees && state.roster.size === 0) {
        rec.attendees.forEach(function (a) { state.roster.set(a.h, a); });
        state.rosterAt = rec.fetched_at;
      }
    }).catch(function () {});
  }

  function loadQueueFromDevice() {
    return idb("queue", "readonly", function (s) { return s.getAll(); }).then(function (items) {
      (items || []).forEach(function (it) { if (it.event === EVENT) state.queue.set(it.nonce, it); });
    }).catch(function () {});
  }

  function fetchRoster() {
    return api("GET", cfg.rosterUrl).then(function (d) {
      if (d._status === 401) { needLogin(); return; }
      if (d._status !== 200 || !d.attendees) return;
      var fresh = new Map();
      d.attendees.forEach(function (a) { fresh.set(a.h, a); });
      applyQueue(fresh);
      state.roster = fresh;
      state.rosterAt = d.generated_at;
      saveRoster();
      rosterSummary();
    }).catch(function () { rosterSummary(); });
  }

  // Scans still waiting to sync stay checked in on this phone.
  function applyQueue(roster) {
    state.queue.forEach(function (q) {
      var a = roster.get(q.h);
      if (a && q.state === "pending" && !a.checked_in_at) {
        a.checked_in_at = q.scanned_at; a.checked_in_at_local = localTime(q.scanned_at); a.by = cfg.me; a.pending = true;
      }
    });
  }

  function markChecked(h, at, atLocal, by, pending) {
    var a = state.roster.get(h);
    if (!a) return;
    a.checked_in_at = at; a.checked_in_at_local = atLocal || localTime(at); a.by = by; a.pending = !!pending;
    saveRosterSoon();
    rosterSummary();
  }

  // --- feedback: panel, sound, vibration -----------------------------------------------

  var audio = null;
  function unlockAudio() {
    var AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return;
    if (!audio) { try { audio = new AC(); } catch (e) { audio = null; } }
    if (audio && audio.state === "suspended") audio.resume();
  }
  document.addEventListener("pointerdown", unlockAudio);
  document.addEventListener("keydown", unlockAudio);

  function beep(freq, ms, count) {
    if (!audio || audio.state !== "running") return;
    var t = audio.currentTime;
    for (var i = 0; i < count; i++) {
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.type = freq < 300 ? "square" : "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.25, t);
      gain.gain.exponentialRampToValueAtTime(0.001, t + ms / 1000);
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(t); osc.stop(t + ms / 1000);
      t += (ms + 80) / 1000;
    }
  }

  function feedback(kind) {
    if (kind === "ok") { beep(1046, 140, 1); vibrate(120); }
    else if (kind === "already") { beep(660, 120, 2); vibrate([90, 60, 90]); }
    else { beep(220, 450, 1); vibrate([300, 100, 300]); }
  }
  function vibrate(p) { if (navigator.vibrate) { try { navigator.vibrate(p); } catch (e) { /* ignore */ } } }

  function show(kind, title, name, detail) {
    ui.result.className = "scan-result " + kind;
    void ui.result.offsetWidth;  // restart the pop animation
    ui.result.classList.add("flash");
    ui.result.dataset.result = kind;
    ui.title.textContent = title;
    ui.name.textContent = name || "";
    ui.detail.textContent = detail || "";
    showParty(null);
  }

  // What the check-in answer says the volunteer should act on: "Party of 3",
  // "Needs: Spanish interpretation, Childcare" (checkin.py ScanResult._party).
  function showParty(d) {
    var size = d && d.party_size > 1 ? d.party_size : 0;
    var needs = d && d.needs_display ? d.needs_display : "";
    if (ui.party) { ui.party.textContent = size ? "Party of " + size : ""; ui.party.hidden = !size; }
    if (ui.needs) { ui.needs.textContent = needs ? "Needs: " + needs : ""; ui.needs.hidden = !needs; }
  }

  function showServer(d, queuedNote) {
    if (d.result === "ok") {
      show("ok", "Checked in", d.name, (queuedNote || "") + "At " + (d.checked_in_at_local || localTime(d.checked_in_at)) + ".");
    } else if (d.result === "already") {
      show("already", "Already checked in", d.name,
        "At " + (d.checked_in_at_local || localTime(d.checked_in_at)) + (d.checked_in_by ? " by " + d.checked_in_by : "") + ".");
    }
    if (d.result === "ok" || d.result === "already") {
      showParty(d);
    } else {
      show("unknown", "Unknown ticket", "", d.reason === "other_event" ? "This ticket is for another event." : "Not a ticket for this event, or it was cancelled.");
    }
    feedback(d.result);
  }

  function needLogin() {
    show("error", "Please log in again", "", "Your login ended. Scans are kept on this phone.");
    ui.detail.appendChild(document.createTextNode(" "));
    var a = el("a", null, "Log in");
    a.href = cfg.loginUrl;
    ui.detail.appendChild(a);
  }

  // --- scanning -------------------------------------------------------------------------

  function handleText(text, fromCamera) {
    var now = Date.now();
    if (fromCamera) {
      if (state.busy) return Promise.resolve();
      if (text === state.last.code && now - state.last.at < COOLDOWN_MS) return Promise.resolve();
    }
    state.last = { code: text, at: now };
    var token = parseToken(text);
    if (!token) {
      show("unknown", "Unknown ticket", "", "That code is not a ticket of this site.");
      feedback("unknown");
      return Promise.resolve();
    }
    state.busy = true;
    return sha256hex(token).then(function (h) {
      return submit({ nonce: newNonce(), event: EVENT, token: token, h: h, scanned_at: new Date().toISOString() });
    }).finally(function () { state.busy = false; state.last.at = Date.now(); });
  }

  function submit(item) {
    if (!navigator.onLine) return decideOffline(item);
    return postScan(item).then(function (d) {
      if (d._status === 401) { needLogin(); return decideOffline(item, true); }
      if (d._status !== 200) {
        show("error", "Could not check in", "", d.error || ("Error " + d._status));
        feedback("unknown");
        return;
      }
      if (d.result === "ok" || d.result === "already") markChecked(item.h, d.checked_in_at, d.checked_in_at_local, d.checked_in_by, false);
      showServer(d);
      if (state.queue.size) sync();
    }, function (e) {
      if (e instanceof NetError) return decideOffline(item);
      throw e;
    });
  }

  // No connection: decide from the roster on this phone and queue the check-in.
  function decideOffline(item, silent) {
    var a = state.roster.get(item.h);
    if (!a) {
      if (!silent) {
        show("unknown", "Unknown ticket", "", state.roster.size
          ? "Not on this event's guest list (checked offline)."
          : "Offline and no guest list on this phone yet.");
        feedback("unknown");
      }
      return Promise.resolve();
    }
    if (a.checked_in_at) {
      if (!silent) {
        show("already", "Already checked in", a.name,
          "At " + (a.checked_in_at_local || localTime(a.checked_in_at)) + (a.by ? " by " + a.by : "") + (a.pending ? " (waiting to sync)." : "."));
        feedback("already");
      }
      return Promise.resolve();
    }
    item.name = a.name;
    item.state = "pending";
    state.queue.set(item.nonce, item);
    markChecked(item.h, item.scanned_at, localTime(item.scanned_at), cfg.me, true);
    renderQueue();
    if (!silent) {
      show("ok", "Checked in", a.name, "Offline: saved on this phone, syncs when the connection returns.");
      feedback("ok");
    }
    return putQueued(item).catch(function () {});
  }

  function sync() {
    if (state.syncing || !navigator.onLine) return Promise.resolve();
    var items = Array.from(state.queue.values()).filter(function (q) { return q.state === "pending"; });
    if (!items.length) return Promise.resolve();
    items.sort(function (a, b) { return a.scanned_at < b.scanned_at ? -1 : 1; });
    state.syncing = true;
    var chain = Promise.resolve();
    items.forEach(function (item) {
      chain = chain.then(function () {
        return postScan(item).then(function (d) {
          if (d._status === 401) { needLogin(); throw new NetError("login"); }
          if (d._status !== 200) { item.state = "conflict"; item.server = { result: "error", message: d.error || String(d._status) }; return putQueued(item); }
          if (d.result === "ok") {
            state.queue.delete(item.nonce);
            markChecked(item.h, d.checked_in_at, d.checked_in_at_local, d.checked_in_by, false);
            return deleteQueued(item.nonce);
          }
          item.state = "conflict";
          item.server = { result: d.result, name: d.name, at: d.checked_in_at, at_local: d.checked_in_at_local, by: d.checked_in_by };
          if (d.result === "already") markChecked(item.h, d.checked_in_at, d.checked_in_at_local, d.checked_in_by, false);
          return putQueued(item);
        });
      });
    });
    return chain.catch(function () { /* offline again: retried later */ }).then(function () {
      state.syncing = false;
      renderQueue();
    });
  }

  function renderQueue() {
    var pending = [], conflicts = [];
    state.queue.forEach(function (q) { (q.state === "pending" ? pending : conflicts).push(q); });
    ui.pending.replaceChildren();
    pending.forEach(function (q) {
      var li = el("li", "pending");
      var who = el("span", "who", q.name || "Ticket");
      who.appendChild(el("span", "state", "Scanned " + localTime(q.scanned_at) + " · waiting to sync"));
      li.appendChild(who);
      ui.pending.appendChild(li);
    });
    ui.pendingCount.textContent = String(pending.length);
    ui.pendingBox.hidden = pending.length === 0;
    ui.conflicts.replaceChildren();
    conflicts.forEach(function (q) {
      var li = el("li", "conflict");
      var who = el("span", "who", q.name || "Ticket");
      var s = q.server || {};
      var text = s.result === "already"
        ? "Server: already checked in at " + (s.at_local || localTime(s.at)) + (s.by ? " by " + s.by : "") + "; scanned here offline at " + localTime(q.scanned_at)
        : s.result === "unknown" ? "Server: unknown or cancelled ticket (scanned offline at " + localTime(q.scanned_at) + ")"
        : "Server error: " + (s.message || "");
      who.appendChild(el("span", "state", text));
      li.appendChild(who);
      var b = el("button", null, "Dismiss");
      b.type = "button";
      b.addEventListener("click", function () { state.queue.delete(q.nonce); deleteQueued(q.nonce); renderQueue(); });
      li.appendChild(b);
      ui.conflicts.appendChild(li);
    });
    ui.conflictsBox.hidden = conflicts.length === 0;
  }

  // --- camera ---------------------------------------------------------------------------

  var cam = { stream: null, detector: null, canvas: null, ctx: null, running: false, timer: null };

  function cameraMessage(text) {
    ui.camMsg.textContent = text || "";
    ui.camMsg.hidden = !text;
  }

  function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      cameraMessage("No camera access here: use the ticket code field or search by name.");
      return Promise.resolve();
    }
    ui.camStart.hidden = true;
    return navigator.mediaDevices.getUserMedia({
      video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
      audio: false
    }).then(function (stream) {
      cam.stream = stream;
      ui.video.srcObject = stream;
      return ui.video.play().catch(function () {});
    }).then(function () {
      if (!cam.stream) return;
      return makeDetector().then(function (d) {
        cam.detector = d;
        ui.video.dataset.decoder = d ? "BarcodeDetector" : "jsQR";
        cam.running = true;
        ui.camStop.hidden = false;
        cameraMessage("");
        tick();
      });
    }).catch(function (e) {
      ui.camStart.hidden = false;
      cameraMessage("Camera not available (" + (e && e.name || "error") + "). Tap Start camera, or use the fields below.");
    });
  }

  function stopCamera() {
    cam.running = false;
    clearTimeout(cam.timer);
    if (cam.stream) cam.stream.getTracks().forEach(function (t) { t.stop(); });
    cam.stream = null;
    ui.video.srcObject = null;
    ui.camStop.hidden = true;
    ui.camStart.hidden = false;
  }

  function makeDetector() {
    if (!("BarcodeDetector" in window)) return Promise.resolve(null);
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      return formats.indexOf("qr_code") >= 0 ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
    }).catch(function () { return null; });
  }

  function decodeFrame() {
    var v = ui.video;
    if (v.readyState < 2 || !v.videoWidth) return Promise.resolve(null);
    if (cam.detector) {
      return cam.detector.detect(v).then(function (codes) {
        return codes.length ? codes[0].rawValue : null;
      }).catch(function () { return null; });
    }
    if (!window.jsQR) return Promise.resolve(null);
    var scale = Math.min(1, 640 / v.videoWidth);
    var w = Math.round(v.videoWidth * scale), h = Math.round(v.videoHeight * scale);
    if (!cam.canvas) {
      cam.canvas = document.createElement("canvas");
      cam.ctx = cam.canvas.getContext("2d", { willReadFrequently: true });
    }
    if (cam.canvas.width !== w) cam.canvas.width = w;
    if (cam.canvas.height !== h) cam.canvas.height = h;
    cam.ctx.drawImage(v, 0, 0, w, h);
    var img = cam.ctx.getImageData(0, 0, w, h);
    var code = window.jsQR(img.data, w, h, { inversionAttempts: "dontInvert" });
    return Promise.resolve(code ? code.data : null);
  }

  function tick() {
    if (!cam.running) return;
    decodeFrame().then(function (text) {
      if (text) return handleText(text, true);
    }).catch(function () {}).then(function () {
      if (cam.running) cam.timer = setTimeout(tick, 120);
    });
  }

  // --- hand-held scanner field and name search ------------------------------------------

  ui.manual.addEventListener("submit", function (e) {
    e.preventDefault();
    var v = ui.code.value;
    ui.code.value = "";
    if (v.trim()) handleText(v, false);
    ui.code.focus();
  });

  function renderSearch(list) {
    ui.searchResults.replaceChildren();
    list.slice(0, 20).forEach(function (a) {
      var li = el("li", a.checked_in_at ? (a.pending ? "pending" : "checked") : "");
      var who = el("span", "who", a.name);
      who.appendChild(el("span", "state", a.checked_in_at
        ? "Checked in " + (a.checked_in_at_local || localTime(a.checked_in_at)) + (a.by ? " by " + a.by : "") + (a.pending ? " (waiting to sync)" : "")
        : "Not checked in yet"));
      li.appendChild(who);
      if (!a.checked_in_at) {
        var b = el("button", null, "Check in");
        b.type = "button";
        b.addEventListener("click", function () {
          submit({ nonce: newNonce(), event: EVENT, h: a.h, scanned_at: new Date().toISOString() })
            .then(function () { runSearch(); });
        });
        li.appendChild(b);
      }
      ui.searchResults.appendChild(li);
    });
    if (!list.length && ui.search.value.trim().length >= 2) ui.searchResults.appendChild(el("li", "muted", "No one by that name."));
  }

  function runSearch() {
    var q = fold(ui.search.value.trim());
    if (q.length < 2) { ui.searchResults.replaceChildren(); return; }
    if (state.roster.size) {
      var found = [];
      state.roster.forEach(function (a) { if (fold(a.name).indexOf(q) >= 0) found.push(a); });
      found.sort(function (x, y) { return x.name.localeCompare(y.name); });
      renderSearch(found);
    } else if (navigator.onLine) {
      api("GET", cfg.searchUrl + "?q=" + encodeURIComponent(ui.search.value.trim())).then(function (d) {
        renderSearch(d.attendees || []);
      }).catch(function () { renderSearch([]); });
    }
  }
  var searchTimer = null;
  ui.search.addEventListener("input", function () { clearTimeout(searchTimer); searchTimer = setTimeout(runSearch, 150); });

  ui.camStart.addEventListener("click", function () { unlockAudio(); startCamera(); });
  ui.camStop.addEventListener("click", stopCamera);

  // --- start ------------------------------------------------------------------------------

  window.addEventListener("online", function () { setNet(true); refreshCsrf().catch(function () {}); sync().then(fetchRoster); });
  window.addEventListener("offline", function () { setNet(false); });
  setNet(navigator.onLine);

  if ("serviceWorker" in navigator && cfg.swUrl) {
    navigator.serviceWorker.register(cfg.swUrl, { scope: cfg.swScope }).then(function () {
      // Keep this page itself for opening without a connection.
      if (window.caches) caches.open("scanner-pages").then(function (c) { return c.add(location.href); }).catch(function () {});
    }).catch(function () {});
  }

  Promise.all([loadRosterFromDevice(), loadQueueFromDevice()]).then(function () {
    applyQueue(state.roster);
    rosterSummary();
    renderQueue();
    if (navigator.onLine) return fetchRoster().then(sync);
  }).then(function () {
    root.dataset.ready = "1";
  });
  setInterval(function () { if (navigator.onLine) sync(); }, 10000);
  setInterval(function () { if (navigator.onLine && !state.syncing) fetchRoster(); }, 60000);

  startCamera();
})();
