/* Rebond's service worker, served at /sw.js (scope /) by frontend/views/road.py, which sets
   self.REBOND first: {version, precache: [our static files], offline: "/offline/",
   pages: ["/", "/pickups/"], login: "/accounts/login/"}.

   - Our static files: kept at installation, then served from the phone.
   - The home page and the volunteer's day ("/pickups/", any ?date=): network first (a few
     seconds at most), and each answer is kept; without signal the kept copy is shown. The
     day without ?date= is also kept under its own date (the X-Rebond-Day header), so the
     next morning "/pickups/" opens the right day if it was loaded the evening before.
   - Other pages: the network; without signal, the offline page.
   - Anything but GET (collections, every form), the API, photos and the WebSocket: never
     touched here — the page queues collections itself (rebond-road.js).
   Kept pages hold people's addresses: the page asks to forget them at sign-in and sign-out. */
"use strict";

const CONFIG = self.REBOND;
const STATIC_CACHE = `rebond-static-${CONFIG.version}`;
const PAGES_CACHE = "rebond-pages-v1";
const NETWORK_WAIT_MS = 4000;   // poor signal: show the kept copy rather than wait longer
const PAGES_KEPT = 30;          // about a month of days

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(STATIC_CACHE)
      .then((cache) => cache.addAll([...CONFIG.precache, CONFIG.offline]))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("rebond-static-") && name !== STATIC_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "forget-pages") event.waitUntil(caches.delete(PAGES_CACHE));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (CONFIG.precache.includes(url.pathname)) {
    event.respondWith(fromCacheFirst(request));
  } else if (CONFIG.pages.includes(url.pathname) && wantsHtml(request)) {
    event.respondWith(fromNetworkFirst(event, url));
  } else if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => offlinePage()));
  }
});

function wantsHtml(request) {
  return request.mode === "navigate" || (request.headers.get("Accept") || "").includes("text/html");
}

async function fromCacheFirst(request) {
  const kept = await caches.match(request, { ignoreSearch: true });
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok) {
    const cache = await caches.open(STATIC_CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

function localDay(date = new Date()) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/* The key a page is kept under: its path, and ?date= for the day (other parameters, such as
   ?source=app from the home screen, do not make another page). */
function pageKey(url, day) {
  const date = day || url.searchParams.get("date");
  return new URL(date ? `${url.pathname}?date=${date}` : url.pathname, url.origin).href;
}

function keepable(response) {
  return response.ok && response.type === "basic" && !response.redirected
    && (response.headers.get("Content-Type") || "").startsWith("text/html");
}

async function keep(url, response) {
  const cache = await caches.open(PAGES_CACHE);
  const copies = [cache.put(pageKey(url), response.clone())];
  const day = response.headers.get("X-Rebond-Day");
  if (day && !url.searchParams.get("date")) copies.push(cache.put(pageKey(url, day), response.clone()));
  await Promise.all(copies);
  const keys = await cache.keys();
  for (const old of keys.slice(0, Math.max(0, keys.length - PAGES_KEPT))) await cache.delete(old);
}

async function keptCopy(url) {
  const cache = await caches.open(PAGES_CACHE);
  const keys = url.searchParams.get("date") ? [pageKey(url)] : [pageKey(url, localDay()), pageKey(url)];
  for (const key of keys) {
    const copy = await cache.match(key);
    if (copy) return copy;
  }
  return null;
}

async function offlinePage() {
  return (await caches.match(CONFIG.offline))
    || new Response("Rebond: no signal.", { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
}

function fromNetworkFirst(event, url) {
  const network = fetch(event.request).then(async (response) => {
    if (keepable(response)) await keep(url, response.clone());
    return response;
  });
  event.waitUntil(network.catch(() => null));  // finish keeping the fresh copy even after a timeout
  return (async () => {
    let timer;
    const slow = new Promise((resolve) => { timer = setTimeout(() => resolve("slow"), NETWORK_WAIT_MS); });
    try {
      const first = await Promise.race([network, slow]);
      if (first !== "slow") return first;
      const copy = await keptCopy(url);
      return copy || await network;
    } catch (error) {
      return (await keptCopy(url)) || offlinePage();
    } finally {
      clearTimeout(timer);
    }
  })();
}
