// Service worker of the partner till (scope /console/partners/): the scan page opens without a
// connection. The page and its scripts are fetched from the network whenever it can be (so they
// are never stale online) and kept; offline the kept copies are served. Nothing else is touched:
// sync and upload always go to the network.
"use strict";
var CACHE = "borsellino-till-v1";
var SCAN_PAGE = "/console/partners/scan";

self.addEventListener("install", function (event) { self.skipWaiting(); });
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return name.indexOf("borsellino-till-") === 0 && name !== CACHE; })
      .map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function networkFirst(request, key) {
  return fetch(request).then(function (response) {
    if (response.ok && !response.redirected) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(key, copy); });
    }
    return response;
  }, function () {
    return caches.match(key).then(function (kept) { return kept || Response.error(); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (url.pathname === SCAN_PAGE) {
    event.respondWith(networkFirst(request, SCAN_PAGE));  // one copy, whatever the query string
  } else if (url.pathname.indexOf("/console/partners/static/") === 0 && url.pathname.slice(-3) === ".js") {
    event.respondWith(networkFirst(request, url.pathname));
  }
});
