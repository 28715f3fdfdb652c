/* Rebond pages: small progressive enhancements. Everything works without JavaScript;
   no inline scripts or handlers, so a strict Content-Security-Policy can forbid them. */
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  /* Forms marked data-confirm ask before they are sent. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  /* Previews of the photos chosen (or just taken) before the form is sent. */
  function showPreviews(input) {
    var list = document.querySelector("[data-preview-for='" + input.id + "']");
    if (!list) { return; }
    list.textContent = "";
    Array.prototype.forEach.call(input.files, function (file) {
      var item = document.createElement("li");
      var img = document.createElement("img");
      img.alt = file.name;
      img.src = URL.createObjectURL(file);
      img.addEventListener("load", function () { URL.revokeObjectURL(img.src); });
      item.appendChild(img);
      list.appendChild(item);
    });
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type === "file" && document.querySelector("[data-preview-for='" + input.id + "']")) {
      showPreviews(input);
    }
  });

  /* The item form shows the progress of its upload (photos from a phone can be large),
     then goes where the server says (HX-Redirect) or shows its answer (the form with its
     errors). */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-upload-progress") || event.defaultPrevented) { return; }
    var hasFiles = Array.prototype.some.call(form.querySelectorAll("input[type=file]"), function (input) {
      return input.files && input.files.length > 0;
    });
    if (!hasFiles || !window.FormData) { return; }
    event.preventDefault();
    var progress = form.querySelector("[data-progress]");
    var buttons = form.querySelectorAll("button[type=submit]");
    Array.prototype.forEach.call(buttons, function (button) { button.disabled = true; });
    var request = new XMLHttpRequest();
    request.open("POST", form.action || window.location.href);
    request.setRequestHeader("HX-Request", "true");
    if (progress) {
      progress.hidden = false;
      request.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) { progress.value = Math.round(100 * e.loaded / e.total); }
      });
    }
    request.addEventListener("load", function () {
      var next = request.getResponseHeader("HX-Redirect");
      if (next) {
        window.location.assign(next);
      } else {
        document.open();
        document.write(request.responseText);
        document.close();
      }
    });
    request.addEventListener("error", function () { form.submit(); });
    request.send(new FormData(form));
  });

  /* On the edit page, each photo chosen is uploaded at once with its own progress bar;
     the server answers with the new photo list (an htmx fragment). */
  function uploadPhoto(form, file, list) {
    var row = document.createElement("li");
    var label = document.createElement("span");
    label.textContent = file.name + " ";
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", file.name);
    row.appendChild(label);
    row.appendChild(bar);
    list.appendChild(row);
    return new Promise(function (resolve) {
      var data = new FormData();
      data.append("photo", file);
      var request = new XMLHttpRequest();
      request.open("POST", form.getAttribute("data-photo-upload"));
      request.setRequestHeader("X-CSRFToken", csrfToken(form));
      request.setRequestHeader("HX-Request", "true");
      request.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); }
      });
      request.addEventListener("loadend", function () {
        bar.value = 100;
        if (request.status >= 200 && request.status < 300 && window.htmx) {
          window.htmx.swap("#photo-list", request.responseText, { swapStyle: "outerHTML" });
        }
        list.removeChild(row);
        resolve();
      });
      request.send(data);
    });
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    var form = input.form;
    if (!form || !form.hasAttribute("data-photo-upload") || input.type !== "file") { return; }
    var list = form.querySelector("[data-progress-list]");
    var files = Array.prototype.slice.call(input.files);
    files.reduce(function (previous, file) {
      return previous.then(function () { return uploadPhoto(form, file, list); });
    }, Promise.resolve()).then(function () { input.value = ""; });
  });

  /* With JavaScript, photos upload on choice: the fallback button is not needed. */
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-photo-upload] [data-no-js]"), function (button) {
      button.hidden = true;
    });
  });

  /* Signature pads: a canvas the giver's staff signs on at the door (finger, pen or mouse);
     each stroke copies the drawing, as a PNG data URL, into the form's hidden field. */
  function setupSignaturePad(canvas) {
    var input = document.getElementById(canvas.getAttribute("data-signature-for"));
    if (!input) { return; }
    var context = canvas.getContext("2d");
    var drawing = false;
    context.lineWidth = 3;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.strokeStyle = "#111";

    function point(event) {
      var box = canvas.getBoundingClientRect();
      return {
        x: (event.clientX - box.left) * (canvas.width / box.width),
        y: (event.clientY - box.top) * (canvas.height / box.height)
      };
    }
    canvas.addEventListener("pointerdown", function (event) {
      drawing = true;
      if (canvas.setPointerCapture) { canvas.setPointerCapture(event.pointerId); }
      var p = point(event);
      context.beginPath();
      context.moveTo(p.x, p.y);
      event.preventDefault();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) { return; }
      var p = point(event);
      context.lineTo(p.x, p.y);
      context.stroke();
      event.preventDefault();
    });
    function finish() {
      if (!drawing) { return; }
      drawing = false;
      input.value = canvas.toDataURL("image/png");
    }
    canvas.addEventListener("pointerup", finish);
    canvas.addEventListener("pointercancel", finish);
    canvas.addEventListener("pointerleave", finish);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-signature-clear]") : null;
    if (!button) { return; }
    var id = button.getAttribute("data-signature-clear");
    var canvas = document.querySelector("canvas[data-signature-for='" + id + "']");
    if (canvas) { canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height); }
    document.getElementById(id).value = "";
  });

  function setupSignaturePads(root) {
    Array.prototype.forEach.call(root.querySelectorAll("canvas[data-signature-for]"), setupSignaturePad);
  }

  document.addEventListener("DOMContentLoaded", function () { setupSignaturePads(document); });
  /* Content replaced by a script (rebond-road.js refreshes the day) gets its pads too. */
  document.addEventListener("rebond:swapped", function (event) {
    setupSignaturePads((event.detail && event.detail.root) || document);
  });

  /* Accessibility of what htmx changes. A form's error summary takes the focus when the page
     (or the swapped part) shows one. When a swap removed the element that had the focus, the
     focus goes to the new content rather than falling back to the top of the page. What a live
     event refreshed is announced in the page's status region, without moving the focus. */
  function announce(text) {
    var region = document.getElementById("live-announcer");
    if (!region || !text) { return; }
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function focusInto(element) {
    if (!element) { return; }
    if (!element.hasAttribute("tabindex") && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(element.tagName)) {
      element.setAttribute("tabindex", "-1");
    }
    element.focus({ preventScroll: false });
  }

  function focusErrorSummary(root) {
    var summary = (root || document).querySelector(".error-summary");
    if (summary) { focusInto(summary); return true; }
    return false;
  }

  document.addEventListener("DOMContentLoaded", function () { focusErrorSummary(document); });

  var focusedBeforeSwap = null;
  document.addEventListener("htmx:beforeSwap", function () { focusedBeforeSwap = document.activeElement; });
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.elt;
    if (!target || !target.isConnected) { target = event.detail && event.detail.target; }
    var trigger = event.detail && event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
    var live = trigger && typeof trigger.type === "string" && trigger.type.indexOf("rebond:") === 0;
    var summary = target && target.querySelector && target.querySelector("[data-announce-text]");
    if (target && target.matches && target.matches("[data-announce-text]")) { summary = target; }
    if (summary) {
      announce(summary.textContent.replace(/\s+/g, " ").trim());
    } else if (live) {
      var region = document.getElementById("live-announcer");
      announce((target && target.getAttribute && target.getAttribute("data-announce")) ||
               (region && region.getAttribute("data-updated")));
    }
    if (target && focusErrorSummary(target)) { return; }
    var lost = focusedBeforeSwap && !focusedBeforeSwap.isConnected;
    if (lost && target && target.isConnected) {
      var heading = target.querySelector && target.querySelector("h1, h2, h3");
      focusInto(heading || target);
    }
    focusedBeforeSwap = null;
  });
}());
