/* "Scan a label": the phone's camera reads a Rebond QR label and opens it (…/s/<code>); the
   item's page then offers the check-out or check-in. The browser's BarcodeDetector where it
   has one, else the vendored jsQR on frames drawn to a canvas. Nothing leaves the phone but
   the address read. */
(function () {
  "use strict";

  var LABEL_PATH = /^\/s\/[A-Za-z0-9_-]{4,16}$/;

  function start(section) {
    var video = section.querySelector("video");
    var canvas = section.querySelector("canvas");
    var status = section.querySelector(".scanner-status");
    var button = section.querySelector("[data-scan-start]");
    var say = function (key) { status.textContent = section.getAttribute("data-msg-" + key) || ""; };
    var detector = null;
    var done = false;

    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { say("denied"); return; }
    say("starting");
    button.disabled = true;

    function open(text) {
      var url;
      try { url = new URL(text, window.location.href); } catch (error) { say("foreign"); return false; }
      if (!LABEL_PATH.test(url.pathname)) { say("foreign"); return false; }
      done = true;
      say("found");
      /* Always this site: a label printed with the public address opens here too. */
      window.location.assign(url.pathname);
      return true;
    }

    function readWithJsQR() {
      if (!window.jsQR || !video.videoWidth) { return null; }
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      var context = canvas.getContext("2d", { willReadFrequently: true });
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var pixels = context.getImageData(0, 0, canvas.width, canvas.height);
      var code = window.jsQR(pixels.data, pixels.width, pixels.height, { inversionAttempts: "dontInvert" });
      return code ? code.data : null;
    }

    function tick() {
      if (done) { return; }
      if (video.readyState < 2) { window.requestAnimationFrame(tick); return; }
      if (detector) {
        detector.detect(video).then(function (codes) {
          if (!(codes.length && open(codes[0].rawValue))) { window.setTimeout(tick, 150); }
        }, function () { detector = null; window.setTimeout(tick, 150); });
        return;
      }
      var text = readWithJsQR();
      if (!(text && open(text))) { window.setTimeout(tick, 150); }
    }

    var ready = Promise.resolve();
    if ("BarcodeDetector" in window && window.BarcodeDetector.getSupportedFormats) {
      ready = window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf("qr_code") >= 0) { detector = new window.BarcodeDetector({ formats: ["qr_code"] }); }
      }, function () {});
    }
    ready.then(function () {
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    }).then(function (stream) {
      video.srcObject = stream;
      section.setAttribute("data-decoder", detector ? "barcode-detector" : "jsqr");
      return video.play();
    }).then(function () {
      say("looking");
      tick();
    }).catch(function () {
      say("denied");
      button.disabled = false;
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-scan-start]");
    if (button) { start(button.closest("[data-scanner]")); }
  });
})();
