/* Service worker for the check-in scanner (served from /manage/e/scanner-sw.js, scope /manage/e/).
 * The route prepends SCANNER_VERSION, SCANNER_ASSETS and SCANNER_SCOPE.
 * - scanner pages (/manage/e/<slug>/scan): network first (short timeout), cached copy offline;
 * - the scanner's CSS/JS/decoder/icons: cache first, refreshed when the version changes;
 * - everything else, the API included, goes to the network untouched. */
/* global self, caches, fetch, URL, Response */
"use strict";

var ASSET_CACHE = "scanner-assets-" + self.SCANNER_VERSION;
var PAGE_CACHE = "scanner-pages";
var PAGE_RE = /^\/manage\/e\/[^/]+\/scan$/;
var NETWORK_TIMEOUT_MS = 4000;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(ASSET_CACHE).then(function (c) { return c.addAll(self.SCANNER_ASSETS); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) {
        return k.indexOf("scanner-assets-") === 0 && k !== ASSET_CACHE;
      }).map(function (k) { return caches.delete(k); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function networkFirst(request) {
  return new Promise(function (resolve) {
    var settled = false;
    function fallback() {
      if (settled) return;
      caches.open(PAGE_CACHE).then(function (c) {
        return c.match(request, { ignoreSearch: true });
      }).then(function (cached) {
        if (cached && !settled) { settled = true; resolve(cached); }
      });
    }
    var timer = setTimeout(fallback, NETWORK_TIMEOUT_MS);
    fetch(request).then(function (response) {
      clearTimeout(timer);
      // A login redirect is not the scanner page: show it, but do not keep it.
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(PAGE_CACHE).then(function (c) { return c.put(request, copy); });
      }
      if (!settled) { settled = true; resolve(response); }
    }, function () {
      clearTimeout(timer);
      caches.open(PAGE_CACHE).then(function (c) {
        return c.match(request, { ignoreSearch: true });
      }).then(function (cached) {
        if (settled) return;
        settled = true;
        resolve(cached || new Response(
          "<!doctype html><meta charset=utf-8><title>Offline</title>" +
          "<p>Offline, and this scanner page was never opened on this phone with a connection.</p>",
          { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } }
        ));
      });
    });
  });
}

function cacheFirst(request) {
  return caches.open(ASSET_CACHE).then(function (c) {
    return c.match(request, { ignoreSearch: true }).then(function (cached) {
      return cached || fetch(request).then(function (response) {
        if (response.ok) c.put(request, response.clone());
        return response;
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && PAGE_RE.test(url.pathname)) {
    event.respondWith(networkFirst(request));
  } else if (self.SCANNER_ASSETS.indexOf(url.pathname) >= 0) {
    event.respondWith(cacheFirst(request));
  }
});
