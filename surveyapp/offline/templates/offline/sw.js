// Service worker of surveyapp (generated: {{ version }}). Keeps the enumerator's pages, the
// questionnaire and every asset available without a connection. Questionnaires saved offline wait
// in the page's IndexedDB outbox (outbox.js), not here: a POST is never replayed behind the user's back.
"use strict";
const VERSION = "{{ version }}";
const ASSETS = {{ assets|safe }};
const STATIC_CACHE = "static-" + VERSION;
const PAGES_CACHE = "pages-v1";
const OFFLINE_PAGES = ["/survey", "/establishments/"];
// The outbox and the offline form work offline even if never opened: fetched at install (and again
// whenever a page asks and they are missing, e.g. after a sign-out emptied the pages cache).
const PRECACHED_PAGES = {{ pages|safe }};

async function precachePages() {
  const cache = await caches.open(PAGES_CACHE);
  await Promise.all(PRECACHED_PAGES.map(async (path) => {
    if (await cache.match(path)) { return; }
    try {
      const response = await fetch(path, { credentials: "same-origin" });
      // Only the real page of a signed-in user, never the sign-in page it redirects to.
      if (response.ok && !response.redirected) { await cache.put(path, response); }
    } catch (error) { /* offline now: the next page asks again */ }
  }));
}

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(STATIC_CACHE).then((cache) => cache.addAll(ASSETS))
    .then(precachePages).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith("static-") && k !== STATIC_CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

function isAsset(url) {
  return ASSETS.includes(url.pathname) || url.pathname.startsWith("/static/") ||
    url.pathname.startsWith("/vendor/") || url.pathname.startsWith("/bootstrap/static/");
}

function keepsOffline(url) {
  return OFFLINE_PAGES.some((prefix) => url.pathname.startsWith(prefix)) || url.pathname.startsWith("/api/v1/questionnaire");
}

async function cacheFirst(request) {
  const cached = await caches.match(request);
  if (cached) { return cached; }
  const response = await fetch(request);
  if (response.ok) { (await caches.open(STATIC_CACHE)).put(request, response.clone()); }
  return response;
}

async function networkFirst(request, url) {
  try {
    const response = await fetch(request);
    // Only real pages: not a redirect to the sign-in page, not an error.
    if (response.ok && !response.redirected && response.type === "basic") {
      (await caches.open(PAGES_CACHE)).put(request, response.clone());
    }
    return response;
  } catch (error) {
    const cached = await caches.match(request);
    if (cached) { return cached; }
    if (request.mode === "navigate" && url.pathname.startsWith("/survey")) {
      const form = await caches.match("/survey/offline", { ignoreSearch: true });
      if (form) { return form; }
    }
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") { return; }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (isAsset(url)) {
    event.respondWith(cacheFirst(request));
  } else if (keepsOffline(url)) {
    event.respondWith(networkFirst(request, url));
  }
});

self.addEventListener("message", (event) => {
  if (event.data === "forget-pages") { event.waitUntil(caches.delete(PAGES_CACHE)); }
  if (event.data === "keep-pages") { event.waitUntil(precachePages()); }
});
