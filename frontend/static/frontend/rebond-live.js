// Rebond live events: one WebSocket to /ws/events/, reconnected with backoff.
//
// Every server event {type, id, ...} is re-dispatched on <body> as a DOM event named
// "rebond:<type>" (e.g. "rebond:reservation.created") with the payload as `detail`, so a page
// refreshes a fragment declaratively with htmx:
//   <div hx-get="..." hx-trigger="rebond:reservation.created from:body">
// and plain scripts can listen with document.body.addEventListener("rebond:…", …).
// A generic "rebond:event" follows each one, and the <body> gets data-live="on|off".

const MIN_DELAY_MS = 1000;
const MAX_DELAY_MS = 30000;

export function connect({ path = "/ws/events/", target = document.body } = {}) {
  let delay = MIN_DELAY_MS;
  let socket = null;
  let stopped = false;

  function dispatch(name, detail) {
    target.dispatchEvent(new CustomEvent(name, { detail, bubbles: true }));
  }

  function open() {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${window.location.host}${path}`);
    socket.addEventListener("open", () => {
      delay = MIN_DELAY_MS;
      // Events sent while the line was down are lost: after a reconnection, the parts of
      // the page that listen for "rebond:reconnected" refresh themselves once.
      if (target.dataset.live === "off") {
        dispatch("rebond:reconnected", { type: "reconnected" });
        dispatch("rebond:event", { type: "reconnected" });
      }
      target.dataset.live = "on";
    });
    socket.addEventListener("message", (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (!event || typeof event.type !== "string" || event.type === "heartbeat") return;
      dispatch(`rebond:${event.type}`, event);
      dispatch("rebond:event", event);
    });
    socket.addEventListener("close", (closed) => {
      target.dataset.live = "off";
      // 4401: not signed in; retrying would only be refused again.
      if (stopped || closed.code === 4401) return;
      const jitter = Math.random() * delay * 0.3;
      setTimeout(open, delay + jitter);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    });
  }

  open();
  return {
    close() {
      stopped = true;
      if (socket) socket.close();
    },
  };
}

// Signed-in pages name the endpoint: <body data-events-url="/ws/events/">.
const eventsUrl = document.body && document.body.dataset.eventsUrl;
if (eventsUrl) {
  connect({ path: eventsUrl });
}
