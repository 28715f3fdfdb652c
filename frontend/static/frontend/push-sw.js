/* Web Push in the service worker. The app's /sw.js (frontend/views/road.py) serves it
   after rebond-sw.js, in the same script; it only handles push events and clicks.
   A push is JSON {"type", "title", "body", "url"} (API.md, "On the road"). */
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {body: event.data && event.data.text()}; }
  event.waitUntil(self.registration.showNotification(data.title || "Rebond", {
    body: data.body || "",
    tag: data.type || "rebond",
    data: {url: data.url || "/notifications/"}
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin).href;
  event.waitUntil(self.clients.matchAll({type: "window", includeUncontrolled: true}).then(function (windows) {
    for (var i = 0; i < windows.length; i++) {
      if (windows[i].url === url && "focus" in windows[i]) { return windows[i].focus(); }
    }
    return self.clients.openWindow ? self.clients.openWindow(url) : null;
  }));
});
