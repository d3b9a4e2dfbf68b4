/* The welcome-table kiosk: one person at a time, entries queued in IndexedDB on this
 * device and synced once each (client-made ids) when there is a connection.
 * Nothing a person typed is shown again: the form is reset after each entry, and the
 * queue is only ever counted, never listed. */
(function () {
  "use strict";
  var root = document.getElementById("kiosk");
  if (!root) return;
  var cfg = root.dataset;
  var TEXTS = JSON.parse(document.getElementById("kiosk-texts").textContent);
  var KEY = cfg.kind + ":" + cfg.slug;
  var DAY_MS = 86400000;
  var THANKS_MS = 3000;
  var SYNC_EVERY_MS = 30000;
  var MAX_BATCH = 500;

  function $(id) { return document.getElementById(id); }
  var ui = {
    form: $("kiosk-form"), thanks: $("kiosk-thanks"), thanksText: $("kiosk-thanks-text"),
    net: $("kiosk-net"), counter: $("kiosk-counter"), sync: $("kiosk-sync"),
    notice: $("kiosk-notice"), lang: $("kiosk-lang")
  };
  var state = { lang: "en", csrf: cfg.csrf, syncing: false, waiting: 0, lastSent: null, notice: null };

  function t(key) { return TEXTS[state.lang][key] || TEXTS.en[key] || ""; }
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? String(values[k]) : m; });
  }

  // --- the device's storage -------------------------------------------------------------
  var dbp = new Promise(function (resolve) {
    if (!("indexedDB" in window)) { resolve(null); return; }
    var r = indexedDB.open("petitions-kiosk", 1);
    r.onupgradeneeded = function () {
      r.result.createObjectStore("queue", { keyPath: "id" });
      r.result.createObjectStore("meta", { keyPath: "key" });
    };
    r.onsuccess = function () { resolve(r.result); };
    r.onerror = function () { resolve(null); };
  });
  function idb(store, mode, fn) {
    return dbp.then(function (d) {
      if (!d) throw new Error("no IndexedDB");
      return new Promise(function (resolve, reject) {
        var tx = d.transaction(store, mode);
        var out = fn(tx.objectStore(store));
        tx.oncomplete = function () { resolve(out && "result" in out ? out.result : out); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }
  function queued() {
    return idb("queue", "readonly", function (s) { return s.getAll(); }).then(function (all) {
      return (all || []).filter(function (it) { return it.key === KEY; });
    });
  }
  function removeQueued(ids) {
    return idb("queue", "readwrite", function (s) { ids.forEach(function (id) { s.delete(id); }); });
  }

  // Entries that waited longer than the retention window are not sent at all.
  function dropExpired(items) {
    var days = parseInt(cfg.retentionDays, 10);
    if (!(days >= 0)) return Promise.resolve(items);
    var cutoff = Date.now() - days * DAY_MS;
    var old = items.filter(function (it) { return Date.parse(it.entry.created) < cutoff; });
    if (!old.length) return Promise.resolve(items);
    return removeQueued(old.map(function (it) { return it.id; })).then(function () {
      showNotice("expired", { n: old.length, days: days });
      return items.filter(function (it) { return old.indexOf(it) < 0; });
    });
  }

  function loadMeta() {
    return idb("meta", "readonly", function (s) { return s.get(KEY); }).then(function (m) {
      if (m && m.lastSent) state.lastSent = m.lastSent;
    }).catch(function () {});
  }

  // --- the page's words -----------------------------------------------------------------
  function applyLanguage() {
    document.documentElement.lang = state.lang;
    root.querySelectorAll("[data-t]").forEach(function (el) {
      el.textContent = t(el.getAttribute("data-t"));
    });
    ui.lang.textContent = t("switch");
    ui.lang.lang = state.lang === "en" ? "es" : "en";
    setNet();
    renderCounter();
    renderNotice();
    // Errors shown are in the language they were made in: check again in the new one.
    if (root.querySelector(".error:not([hidden])")) validate();
  }

  function setNet() {
    var online = navigator.onLine !== false;
    ui.net.textContent = t(online ? "online" : "offline");
    ui.net.className = "net " + (online ? "online" : "offline");
  }

  function clock(iso) {
    var d = new Date(iso);
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }
  function renderCounter() {
    var text = fill(t("waiting"), { n: state.waiting }) + " · " +
      (state.lastSent ? fill(t("last_sent"), { time: clock(state.lastSent) }) : t("never_sent"));
    ui.counter.textContent = text;
    ui.counter.setAttribute("data-waiting", String(state.waiting));
  }
  function updateCount() {
    return queued().then(function (items) {
      state.waiting = items.length;
      renderCounter();
      return items;
    }, function () { renderCounter(); return []; });
  }

  function showNotice(key, values) { state.notice = { key: key, values: values || {} }; renderNotice(); }
  function clearNotice(key) { if (state.notice && (!key || state.notice.key === key)) { state.notice = null; renderNotice(); } }
  function renderNotice() {
    var n = state.notice;
    ui.notice.hidden = !n;
    ui.notice.textContent = "";
    if (!n) return;
    ui.notice.appendChild(document.createTextNode(fill(t(n.key), n.values) + " "));
    if (n.key === "logged_out") {
      var a = document.createElement("a");
      a.href = cfg.loginUrl;
      a.textContent = "→";
      a.setAttribute("aria-label", "Log in");
      ui.notice.appendChild(a);
    }
  }

  // --- checks, with the web form's messages ------------------------------------------------
  var PHONE_RE = /^\+?[0-9 ().\-]{7,25}$/;
  var EMAIL_RE = /^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$/;
  var ZIP_RE = /^[0-9]{5}(-?[0-9]{4})?$/;
  function field(name) { return ui.form.elements.namedItem(name); }
  function value(name) { var f = field(name); return f ? f.value.trim() : ""; }
  function markupOrLength(name, v) {
    if (/[<>]/.test(v)) return t("msg_markup");
    var max = TEXTS.en.max_lengths[name];
    if (max && v.length > max) return fill(t("msg_too_long"), { max: max });
    return "";
  }
  function problems() {
    var out = {};
    ["given_name", "family_name"].forEach(function (name) {
      var v = value(name);
      if (!v) out[name] = t("msg_" + name);
      else if (markupOrLength(name, v)) out[name] = markupOrLength(name, v);
    });
    var email = value("email");
    if (!email) out.email = t("msg_email_missing");
    else if (email.length > TEXTS.en.max_lengths.email) out.email = fill(t("msg_too_long"), { max: TEXTS.en.max_lengths.email });
    else if (!EMAIL_RE.test(email)) out.email = t("msg_email");
    var zip = value("postal_code").replace(/\s/g, "");
    if (!zip) out.postal_code = t("msg_zip_missing");
    else if (!ZIP_RE.test(zip)) out.postal_code = t("msg_zip");
    if (field("phone") && value("phone")) {
      var phone = value("phone"), digits = phone.replace(/[^0-9]/g, "").length;
      if (!PHONE_RE.test(phone) || digits < 7 || digits > 15) out.phone = t("msg_phone");
    }
    if (field("town") && markupOrLength("town", value("town"))) out.town = markupOrLength("town", value("town"));
    if (field("needs_note") && value("needs_note").length > TEXTS.en.max_lengths.needs_note) {
      out.needs_note = fill(t("msg_too_long"), { max: TEXTS.en.max_lengths.needs_note });
    }
    if (field("waitlist_number") && value("waitlist_number")) {
      var w = value("waitlist_number");
      if (!/^[0-9]{1,9}$/.test(w)) out.waitlist_number = t("msg_waitlist_digits");
      else {
        var n = parseInt(w, 10), lo = cfg.wlMin, hi = cfg.wlMax;
        if ((lo !== undefined && n < +lo) || (hi !== undefined && n > +hi)) out.waitlist_number = t("msg_waitlist_range");
      }
    }
    return out;
  }
  function validate() {
    var found = problems(), first = null;
    ui.form.querySelectorAll("p.error").forEach(function (p) {
      var name = p.id.slice(2), msg = found[name] || "", input = field(name);
      p.textContent = msg;
      p.hidden = !msg;
      if (input && input.setAttribute) input.setAttribute("aria-invalid", msg ? "true" : "false");
      if (msg && !first) first = input;
    });
    return first;
  }
  function clearErrors() {
    ui.form.querySelectorAll("p.error").forEach(function (p) { p.textContent = ""; p.hidden = true; });
    ui.form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
  }

  // --- one person ------------------------------------------------------------------------
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var a = new Uint8Array(16);
    crypto.getRandomValues(a);
    a[6] = (a[6] & 15) | 64; a[8] = (a[8] & 63) | 128;
    var h = Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function entryFromForm() {
    var entry = { id: newId(), created: new Date().toISOString(), language: state.lang };
    ["given_name", "family_name", "email", "phone", "postal_code", "town", "role", "waitlist_number",
      "interpretation_language", "needs_note"].forEach(function (name) {
      if (field(name)) entry[name] = value(name);
    });
    var needs = ui.form.querySelectorAll("input[name=needs]");
    if (needs.length) {
      entry.needs = Array.prototype.filter.call(needs, function (c) { return c.checked; })
        .map(function (c) { return c.value; });
    }
    ["sign", "show_name", "opt_in"].forEach(function (name) {
      if (field(name)) entry[name] = field(name).checked;
    });
    return entry;
  }

  var thanksTimer = null;
  function nextPerson() {
    clearTimeout(thanksTimer);
    ui.thanksText.textContent = "";
    ui.thanks.hidden = true;
    ui.form.hidden = false;
    var first = field("given_name");
    if (first) first.focus();
  }

  ui.form.addEventListener("submit", function (e) {
    e.preventDefault();
    var bad = validate();
    if (bad) { bad.focus(); return; }
    var entry = entryFromForm();
    var name = entry.given_name;
    idb("queue", "readwrite", function (s) { return s.put({ id: entry.id, key: KEY, entry: entry }); })
      .then(function () {
        ui.form.reset();
        clearErrors();
        ui.form.hidden = true;
        ui.thanksText.textContent = fill(t("thanks"), { name: name });
        ui.thanks.hidden = false;
        if (document.activeElement) document.activeElement.blur();
        thanksTimer = setTimeout(nextPerson, THANKS_MS);
        return updateCount();
      })
      .then(function () { trySync(false); })
      .catch(function () { showNotice("sync_failed"); });
  });

  ui.lang.addEventListener("click", function () {
    state.lang = state.lang === "en" ? "es" : "en";
    applyLanguage();
  });

  // --- sync -------------------------------------------------------------------------------
  function post(body, retried) {
    var ctrl = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (ctrl) ctrl.abort(); }, 20000);
    return fetch(cfg.syncUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": state.csrf, "Accept": "application/json" },
      body: JSON.stringify(body),
      signal: ctrl ? ctrl.signal : undefined
    }).then(function (r) {
      clearTimeout(timer);
      if (r.status === 400 && !retried) {
        // Most likely the cached page's CSRF token expired: get a fresh one, send again.
        return fetch(cfg.csrfUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
          .then(function (c) { return c.ok ? c.json() : {}; })
          .then(function (d) { if (d.csrf_token) state.csrf = d.csrf_token; return post(body, true); });
      }
      return r.json().catch(function () { return {}; }).then(function (data) {
        data._status = r.status;
        return data;
      });
    }, function (err) { clearTimeout(timer); throw err; });
  }

  function trySync(byHand) {
    if (state.syncing) return Promise.resolve();
    if (!byHand && navigator.onLine === false) return Promise.resolve();
    state.syncing = true;
    return queued().then(dropExpired).then(function (items) {
      state.waiting = items.length;
      renderCounter();
      if (!items.length) return null;
      var batch = items.slice(0, MAX_BATCH);
      var device = cfg.device;
      return post({ device: device, entries: batch.map(function (it) { return it.entry; }) }).then(function (d) {
        if (d._status === 401 || d._status === 403) { showNotice("logged_out"); return null; }
        if (d._status !== 200 || !d.results) { showNotice("sync_failed"); return null; }
        var done = [], refused = [];
        d.results.forEach(function (res) {
          done.push(res.id);
          if (res.status === "refused") {
            var why = res.message || Object.keys(res.errors || {}).map(function (k) { return res.errors[k]; })[0] || "";
            refused.push(why);
          }
        });
        return removeQueued(done).then(function () {
          state.lastSent = d.synced_at || new Date().toISOString();
          idb("meta", "readwrite", function (s) { return s.put({ key: KEY, lastSent: state.lastSent }); }).catch(function () {});
          clearNotice("logged_out");
          clearNotice("sync_failed");
          if (refused.length) showNotice("refused", { n: refused.length, why: refused[0] });
          return items.length > batch.length ? "more" : null;
        });
      });
    }).catch(function () {
      if (byHand) showNotice("sync_failed");
      return null;
    }).then(function (more) {
      state.syncing = false;
      return updateCount().then(function () { if (more) return trySync(byHand); });
    });
  }

  ui.sync.addEventListener("click", function () { trySync(true); });
  window.addEventListener("online", function () { setNet(); trySync(false); });
  window.addEventListener("offline", setNet);
  setInterval(function () { trySync(false); }, SYNC_EVERY_MS);

  // Which device sent an entry: a random name kept on this device.
  try {
    cfg.device = localStorage.getItem("kiosk-device") || ("kiosk-" + newId().slice(0, 8));
    localStorage.setItem("kiosk-device", cfg.device);
  } catch (e) { cfg.device = "kiosk"; }

  // Kept for offline use: the worker, and this page in its cache (the worker only sees
  // the loads after this one).
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(cfg.swUrl, { scope: cfg.scope }).then(function () {
      if (!window.caches || navigator.onLine === false) return;
      var here = location.origin + location.pathname;
      return fetch(here, { credentials: "same-origin" }).then(function (r) {
        if (!r.ok || r.redirected) return;
        return caches.open("kiosk-pages").then(function (c) { return c.put(here, r); });
      }).then(function () { root.setAttribute("data-offline-ready", "1"); });
    }).catch(function () {});
  }

  applyLanguage();
  loadMeta().then(function () {
    return queued().then(dropExpired);
  }).catch(function () {}).then(function () {
    return updateCount();
  }).then(function () {
    root.setAttribute("data-ready", "1");
    trySync(false);
  });
})();
