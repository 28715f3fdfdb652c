// Rebond on the road: the page side of the installable app.
//
// - Registers the service worker (/sw.js), which keeps the day's pages on the phone.
// - Collections (handover code, weight, signature) are recorded in IndexedDB first, then
//   sent to the API (POST /api/v1/reservations/{id}/collect/, session cookie, CSRF token read
//   from the cookie at send time, and an Idempotency-Key drawn once per collection): sent at
//   once with signal, when the signal returns otherwise, and again after a lost answer — the
//   key makes a repeat return the first answer instead of collecting twice. The page says
//   what is waiting (#outbox) and shows the network state (#network-status).
// - The volunteer's day (#day) is refreshed when a live event arrives (rebond-live.js
//   dispatches "rebond:<type>" on <body>) and when the date changes; tomorrow's page is
//   fetched too, so the service worker keeps it.
// - The header's menu is open on wide screens and folds under its button on phones.
// Strings come translated from the page (json_script "road-strings"); no inline script.

const body = document.body;
const user = body.dataset.user || "";
const lang = document.documentElement.lang || "fr";
const stringsNode = document.getElementById("road-strings");
const T = stringsNode ? JSON.parse(stringsNode.textContent) : {};
const DB_NAME = "rebond";
const STORE = "outbox";
const RETRY_MS = 15000;
const STALE_COPY_S = 120;           // a page older than this when shown is the phone's copy
const PAGES_CACHE = "rebond-pages-v1";

function fill(text, values) {
  return (text || "").replace(/%\((\w+)\)s/g, (all, name) => (name in values ? values[name] : all));
}

function clock(ms) {
  return new Date(ms).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
}

function localDay(date = new Date()) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

//
// Service worker and what the phone keeps
//
if ("serviceWorker" in navigator && body.dataset.sw && window.isSecureContext) {
  navigator.serviceWorker.register(body.dataset.sw, { scope: "/" }).catch(() => {});
}

function forgetKeptPages() {
  if ("caches" in window) caches.delete(PAGES_CACHE).catch(() => {});
  if (navigator.serviceWorker && navigator.serviceWorker.controller) {
    navigator.serviceWorker.controller.postMessage({ type: "forget-pages" });
  }
}

//
// The outbox (IndexedDB): {key, user, reservation, url, body, label, queuedAt, state, message, attempts}
//
function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function store(mode, action) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = action(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request ? request.result : undefined);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  } finally {
    db.close();
  }
}

const outbox = {
  all: () => store("readonly", (s) => s.getAll()).then((rows) => rows.sort((a, b) => a.queuedAt - b.queuedAt)),
  put: (entry) => store("readwrite", (s) => s.put(entry)),
  remove: (key) => store("readwrite", (s) => s.delete(key)),
};

function newKey() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) return decodeURIComponent(match[1]);
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

//
// Recording a collection
//
document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!form.matches || !form.matches("form[data-action=collect][data-api]") || !user || !window.indexedDB) return;
  if (event.defaultPrevented) return;
  event.preventDefault();
  const data = new FormData(form);
  const payload = { handover_code: String(data.get("handover_code") || "").trim() };
  const weight = String(data.get("weight_kg") || "").trim().replace(",", ".");
  if (weight) payload.weight_kg = weight;
  if (data.get("signature")) payload.signature = String(data.get("signature"));
  const entry = {
    key: newKey(), user, reservation: form.dataset.reservation, url: form.dataset.api, body: payload,
    label: form.dataset.label || "", queuedAt: Date.now(), state: "pending", attempts: 0,
  };
  try {
    await outbox.put(entry);
  } catch (error) {
    form.submit();  // no storage on this phone (private browsing): the plain form
    return;
  }
  form.reset();
  const clear = form.querySelector("[data-signature-clear]");
  if (clear) clear.click();
  await render();
  flush();
});

//
// Sending what waits
//
let flushing = false;
let signedOut = false;

async function flush() {
  if (!user || !window.indexedDB || !navigator.onLine || flushing) return;
  flushing = true;
  try {
    const run = () => sendAll();
    const sent = navigator.locks ? await navigator.locks.request("rebond-outbox", run) : await run();
    if (sent) refreshDay();
  } finally {
    flushing = false;
    render();
  }
}

async function sendAll() {
  let sent = 0;
  for (const entry of await outbox.all()) {
    if (entry.user !== user || entry.state !== "pending") continue;
    const outcome = await send(entry);
    if (outcome === "stop") break;
    if (outcome === "sent") sent += 1;
  }
  return sent;
}

async function send(entry) {
  setSummary(T.sending);
  let response;
  try {
    response = await fetch(entry.url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json", Accept: "application/json",
        "X-CSRFToken": csrfToken(), "Idempotency-Key": entry.key,
      },
      body: JSON.stringify(entry.body),
    });
  } catch (error) {  // no answer: the collection may or may not have reached the server; the key settles it
    entry.attempts += 1;
    await outbox.put(entry);
    return "stop";
  }
  let answer = {};
  try {
    answer = await response.json();
  } catch (error) {
    answer = {};
  }
  if (response.ok) {
    await outbox.remove(entry.key);
    announce(fill(T.sent, { label: entry.label }), "success");
    return "sent";
  }
  const detail = typeof answer.detail === "string" ? answer.detail : "";
  if (response.status === 401 || (response.status === 403 && detail.startsWith("CSRF"))) {
    signedOut = true;  // kept: sent once the person signs in again
    return "stop";
  }
  if (response.status >= 500 || response.status === 429 || response.status === 408) {
    entry.attempts += 1;
    await outbox.put(entry);
    return "stop";
  }
  entry.state = "refused";
  entry.message = messageOf(answer);
  await outbox.put(entry);
  announce(fill(T.refused, { label: entry.label, message: entry.message }), "error");
  return "refused";
}

function messageOf(answer) {
  if (typeof answer.detail === "string") return answer.detail;
  for (const value of Object.values(answer || {})) {
    if (Array.isArray(value) && value.length) return String(value[0]);
  }
  return T.refusedUnknown;
}

function announce(text, level) {
  const messages = document.getElementById("messages");
  if (!messages) return;
  const line = document.createElement("p");
  line.className = `message ${level}`;
  line.textContent = text;
  messages.appendChild(line);
}

//
// Saying what waits, on the panel and on each stop
//
let pendingCount = 0;

function setSummary(text) {
  const summary = document.querySelector("#outbox .outbox-summary");
  if (summary && text) summary.textContent = text;
}

function describe(entry) {
  const parts = [entry.label];
  if (entry.body.weight_kg) parts.push(fill(T.weighed, { kg: Number(entry.body.weight_kg).toLocaleString(lang) }));
  if (entry.body.signature) parts.push(T.signed);
  parts.push(fill(T.queuedAt, { time: clock(entry.queuedAt) }));
  return parts.join(" · ");
}

async function render() {
  const panel = document.getElementById("outbox");
  if (!panel || !window.indexedDB) return;
  let entries = [];
  try {
    entries = await outbox.all();
  } catch (error) {
    return;
  }
  const mine = entries.filter((e) => e.user === user);
  const pending = mine.filter((e) => e.state === "pending");
  const refused = mine.filter((e) => e.state === "refused");
  const others = entries.filter((e) => e.user !== user && e.state === "pending");
  pendingCount = pending.length;

  const list = panel.querySelector(".outbox-list");
  list.textContent = "";
  for (const entry of [...pending, ...refused]) {
    const item = document.createElement("li");
    item.className = `outbox-${entry.state}`;
    item.dataset.reservation = entry.reservation;
    const text = document.createElement("span");
    text.textContent = entry.state === "refused"
      ? `${entry.label} — ${fill(T.refusedNote, { message: entry.message })}` : describe(entry);
    item.appendChild(text);
    if (entry.state === "refused") {
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link";
      remove.dataset.outboxRemove = entry.key;
      remove.textContent = T.remove;
      item.append(" ", remove);
    }
    list.appendChild(item);
  }
  if (others.length) {
    const item = document.createElement("li");
    item.textContent = fill(T.others, { n: others.length });
    list.appendChild(item);
  }
  panel.hidden = !(pending.length || refused.length || others.length);
  panel.classList.toggle("outbox-offline", !navigator.onLine);
  panel.querySelector("h2").textContent = pending.length ? fill(T.waiting, { n: pending.length }) : T.notSent;
  panel.querySelector(".outbox-summary").textContent = pending.length && !navigator.onLine ? T.waitingOffline : "";
  panel.querySelector("[data-outbox-send]").hidden = !pending.length || !navigator.onLine;
  panel.querySelector(".outbox-sign-in").hidden = !signedOut;
  markStops(pending, refused);
}

function markStops(pending, refused) {
  const waiting = new Map(pending.map((e) => [e.reservation, e]));
  const refusals = new Map(refused.map((e) => [e.reservation, e]));
  for (const form of document.querySelectorAll("form[data-action=collect][data-reservation]")) {
    const id = form.dataset.reservation;
    let note = form.parentElement.querySelector(`.queued-note[data-for="${id}"]`);
    const entry = waiting.get(id) || refusals.get(id);
    if (!entry) {
      form.hidden = false;
      if (note) note.remove();
      continue;
    }
    if (!note) {
      note = document.createElement("p");
      note.className = "queued-note";
      note.dataset.for = id;
      note.setAttribute("role", "status");
      form.before(note);
    }
    const queued = entry.state === "pending";
    form.hidden = queued;  // recorded: nothing more to do at this door; refused: try again
    note.classList.toggle("refused", !queued);
    note.textContent = queued
      ? fill(T.queuedNote, { time: clock(entry.queuedAt) }) : fill(T.refusedNote, { message: entry.message });
  }
}

document.addEventListener("click", async (event) => {
  const target = event.target.closest ? event.target.closest("[data-outbox-send], [data-outbox-remove]") : null;
  if (!target) return;
  if (target.dataset.outboxRemove) {
    await outbox.remove(target.dataset.outboxRemove);
    render();
  } else {
    flush();
  }
});

//
// The network
//
const renderedAt = Number(body.dataset.renderedAt || 0) * 1000;
const isKeptCopy = renderedAt && (Date.now() - renderedAt) / 1000 > STALE_COPY_S;

function showNetwork() {
  const status = document.getElementById("network-status");
  body.dataset.network = navigator.onLine ? "online" : "offline";
  if (!status) return;
  const parts = [];
  if (!navigator.onLine) parts.push(T.offline);
  if (!navigator.onLine && isKeptCopy) parts.push(fill(T.copyOf, { time: clock(renderedAt) }));
  status.textContent = parts.join(" ");
  status.hidden = !parts.length;
}

if (isKeptCopy && !navigator.onLine) {
  // The messages of a page kept on the phone are old news.
  const messages = document.getElementById("messages");
  if (messages) messages.textContent = "";
}

window.addEventListener("online", () => {
  showNetwork();
  flush();
  refreshDay();
});
window.addEventListener("offline", () => {
  showNetwork();
  render();
});
setInterval(() => {
  if (pendingCount && navigator.onLine) flush();
}, RETRY_MS);
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") {
    flush();
    checkNewDay();
  }
});

//
// The day: refreshed on live events and when the date changes; tomorrow kept too
//
function dayNode() {
  return document.getElementById("day");
}

// Someone is typing a code, a weight or signing at a door: a refresh would wipe it.
function busyAtTheDoor(day) {
  return Array.from(day.querySelectorAll("form[data-action=collect]")).some((form) => (
    Array.from(form.querySelectorAll("input[type=text]")).some((input) => input.value)
    || (form.querySelector("input[name=signature]") || {}).value
  ));
}

let refreshWanted = false;
let refreshTimer = null;

async function refreshDay() {
  const day = dayNode();
  if (!day || !navigator.onLine) return;
  if (busyAtTheDoor(day)) {
    refreshWanted = true;  // after this collection is recorded
    return;
  }
  refreshWanted = false;
  let response;
  try {
    response = await fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
  } catch (error) {
    return;
  }
  if (!response.ok || response.redirected) return;
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("day");
  const current = dayNode();
  if (!fresh || !current) return;
  const open = new Set(Array.from(current.querySelectorAll("details[open]"), (d) => d.id));
  for (const details of fresh.querySelectorAll("details.stop-details")) {
    if (open.has(details.id)) details.open = true;
  }
  current.replaceWith(fresh);
  document.dispatchEvent(new CustomEvent("rebond:swapped", { detail: { root: fresh } }));
  if (window.htmx) window.htmx.process(fresh);
  render();
}

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => refreshDay(), 800);
}

function checkNewDay() {
  const day = dayNode();
  if (day && day.hasAttribute("data-today") && day.dataset.day !== localDay()) refreshDay();
}

function keepTomorrow() {
  const day = dayNode();
  if (!day || !navigator.onLine || !day.hasAttribute("data-today") || !day.dataset.nextDay) return;
  const url = new URL(window.location.pathname, window.location.origin);
  url.searchParams.set("date", day.dataset.nextDay);
  fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } }).catch(() => {});
}

function openStopFromHash() {
  const target = window.location.hash && document.getElementById(window.location.hash.slice(1));
  if (target && target.matches("details.stop-details")) {
    target.open = true;
    target.scrollIntoView({ block: "start" });
  }
}

if (dayNode()) {
  for (const type of ["pickup.scheduled", "pickup.status_changed", "reservation.status_changed", "reconnected"]) {
    body.addEventListener(`rebond:${type}`, scheduleRefresh);
  }
  document.addEventListener("focusout", () => {
    if (refreshWanted) setTimeout(() => refreshDay(), 300);
  });
  window.addEventListener("hashchange", openStopFromHash);
  openStopFromHash();
  setInterval(checkNewDay, 60000);
  setTimeout(keepTomorrow, 3000);
}

//
// The header's menu: open on wide screens, one button on phones
//
const menu = document.getElementById("menu");
if (menu) {
  const wide = window.matchMedia("(min-width: 48rem)");
  const sync = () => { menu.open = wide.matches; };
  wide.addEventListener("change", sync);
  sync();
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && menu.open && !wide.matches) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });
  document.addEventListener("click", (event) => {
    if (menu.open && !wide.matches && !menu.contains(event.target)) menu.open = false;
  });
}

//
// Signing in or out: forget the pages kept on this phone (they are the person's)
//
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.matches || !form.matches("[data-forget-offline]") || event.defaultPrevented) return;
  if (pendingCount && !window.confirm(T.signOutPending)) {
    event.preventDefault();
    return;
  }
  forgetKeptPages();
});

showNetwork();
render().then(() => flush());
