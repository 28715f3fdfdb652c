/* Web Push on the notifications page: subscribe this device, or unsubscribe it.
   The service worker is the app's own /sw.js (which imports push-sw.js); without it, the
   page says push is not available here and registers nothing. */
(function () {
  "use strict";
  var box = document.querySelector("[data-push]");
  if (!box) { return; }
  var on = box.querySelector("[data-push-subscribe]");
  var off = box.querySelector("[data-push-unsubscribe]");
  var status = box.querySelector("[data-push-status]");
  var texts = box.querySelector("[data-push-messages]").content;

  function say(key) { status.textContent = texts.querySelector("[data-" + key + "]").textContent; }
  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }
  function api(method, url, body) {
    return fetch(url, {
      method: method, credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf(), "Accept": "application/json"},
      body: body ? JSON.stringify(body) : undefined
    }).then(function (response) {
      if (!response.ok && response.status !== 204) { throw new Error(String(response.status)); }
      return response.status === 204 ? null : response.json();
    });
  }
  function keyBytes(base64url) {
    var raw = atob(base64url.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((base64url.length + 3) % 4));
    return Uint8Array.from(raw, function (c) { return c.charCodeAt(0); });
  }
  function worker() {
    return navigator.serviceWorker.getRegistration("/").then(function (registration) {
      if (registration) { return navigator.serviceWorker.ready; }
      return fetch("/sw.js", {method: "HEAD"}).then(function (response) {
        if (!response.ok) { throw new Error("no service worker"); }
        return navigator.serviceWorker.register("/sw.js", {scope: "/"}).then(function () {
          return navigator.serviceWorker.ready;
        });
      });
    });
  }
  function show(subscribed) {
    on.hidden = subscribed;
    off.hidden = !subscribed;
    say(subscribed ? "on" : "off");
  }

  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say("unavailable");
    return;
  }
  var serverKey = null;
  api("GET", "/api/v1/push/key/").then(function (answer) {
    serverKey = answer.key;
    if (!serverKey) { throw new Error("no key"); }
    return worker();
  }).then(function (registration) {
    return registration.pushManager.getSubscription();
  }).then(function (subscription) {
    show(Boolean(subscription));
  }).catch(function () { say("unavailable"); });

  on.addEventListener("click", function () {
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") { say("denied"); throw new Error("denied"); }
      return worker();
    }).then(function (registration) {
      return registration.pushManager.subscribe({userVisibleOnly: true, applicationServerKey: keyBytes(serverKey)});
    }).then(function (subscription) {
      var json = subscription.toJSON();
      return api("POST", "/api/v1/push-subscriptions/", {endpoint: json.endpoint, keys: json.keys});
    }).then(function () { show(true); }).catch(function (error) {
      if (String(error.message) !== "denied") { say("failed"); }
    });
  });

  off.addEventListener("click", function () {
    worker().then(function (registration) {
      return registration.pushManager.getSubscription();
    }).then(function (subscription) {
      if (!subscription) { return null; }
      return api("GET", "/api/v1/push-subscriptions/?page_size=100").then(function (page) {
        var mine = page.results.filter(function (row) { return row.endpoint === subscription.endpoint; });
        return Promise.all(mine.map(function (row) {
          return api("DELETE", "/api/v1/push-subscriptions/" + row.id + "/");
        }));
      }).then(function () { return subscription.unsubscribe(); });
    }).then(function () { show(false); }).catch(function () { say("failed"); });
  });
})();
