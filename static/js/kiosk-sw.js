/* Service worker for the welcome-table kiosk (served from /manage/kiosk-sw.js; each kiosk
 * page registers it with its own path as the scope). The route prepends KIOSK_VERSION
 * and KIOSK_ASSETS.
 * - the kiosk page: from the cache at once when it has been opened here before (so a
 *   reload with no signal shows the form), refreshed from the network behind it;
 * - the kiosk's CSS/JS/icons: cache first, refreshed when the version changes;
 * - everything else, the sync included, goes to the network untouched. */
/* global self, caches, fetch, URL, Response */
"use strict";

var ASSET_CACHE = "kiosk-assets-" + self.KIOSK_VERSION;
var PAGE_CACHE = "kiosk-pages";
var PAGE_RE = /^\/manage\/[ep]\/[^/]+\/kiosk$/;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(ASSET_CACHE).then(function (c) { return c.addAll(self.KIOSK_ASSETS); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) {
        return k.indexOf("kiosk-assets-") === 0 && k !== ASSET_CACHE;
      }).map(function (k) { return caches.delete(k); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function page(event) {
  var request = event.request;
  var key = request.url.split("?")[0];
  function network() {
    return fetch(request).then(function (response) {
      // A login redirect is not the kiosk page: show it, but do not keep it.
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        return caches.open(PAGE_CACHE).then(function (c) { return c.put(key, copy); })
          .then(function () { return response; });
      }
      return response;
    });
  }
  return caches.open(PAGE_CACHE).then(function (c) { return c.match(key); }).then(function (cached) {
    if (cached) {
      // Refreshed behind the cached copy, when there is a network to ask.
      if (self.navigator.onLine !== false) event.waitUntil(network().catch(function () {}));
      return cached;
    }
    return network().catch(function () {
      return new Response(
        "<!doctype html><meta charset=utf-8><title>Offline</title>" +
        "<p>Offline, and this kiosk was never opened on this device with a connection.</p>",
        { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } }
      );
    });
  });
}

function asset(request) {
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
    event.respondWith(page(event));
  } else if (self.KIOSK_ASSETS.indexOf(url.pathname) >= 0) {
    event.respondWith(asset(request));
  }
});
