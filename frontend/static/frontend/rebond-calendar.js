/* The shared item's month view: choose the first then the last day with a click or the
   keyboard (arrow keys move between days, Home/End to the week's ends, Enter or Space to
   choose); the booking form below is filled and checked at once (htmx, booking_check).
   Without JavaScript the date fields of the form do the same. */
(function () {
  "use strict";

  function form() { return document.querySelector(".booking-form"); }
  function field(name) { var f = form(); return f ? f.querySelector("[name=" + name + "]") : null; }

  function iso(date) { return date.toISOString().slice(0, 10); }
  function shift(day, days) {
    var date = new Date(day + "T12:00:00Z");
    date.setUTCDate(date.getUTCDate() + days);
    return iso(date);
  }

  function buttons() { return Array.prototype.slice.call(document.querySelectorAll("#calendar .day-button")); }

  /* One day button in the tab order (roving tabindex): the first chosen day, else today or the first one. */
  function setupFocus() {
    var all = buttons();
    if (!all.length) { return; }
    var start = field("start");
    var current = (start && start.value && document.querySelector("#calendar [data-day='" + start.value + "']")) ||
      document.querySelector("#calendar td.today .day-button") || all[0];
    all.forEach(function (button) { button.tabIndex = button === current ? 0 : -1; });
    paint();
  }

  function paint() {
    var start = field("start"), last = field("last_day");
    var first = start && start.value, end = last && last.value;
    buttons().forEach(function (button) {
      var day = button.getAttribute("data-day");
      var chosen = first && (day === first || (end && day >= first && day <= end));
      button.classList.toggle("chosen", Boolean(chosen));
      button.setAttribute("aria-pressed", chosen ? "true" : "false");
    });
  }

  function choose(day) {
    var start = field("start"), last = field("last_day");
    if (!start || !last) { return; }
    /* The first choice sets both ends on that day; the next one, if later, the last day. */
    if (form().getAttribute("data-choosing") === "last" && start.value && day >= start.value) {
      last.value = day;
      form().removeAttribute("data-choosing");
    } else {
      start.value = day;
      last.value = day;
      form().setAttribute("data-choosing", "last");
    }
    paint();
    form().dispatchEvent(new CustomEvent("rebond:days-chosen", { bubbles: true }));
  }

  function move(from, days) {
    var target = document.querySelector("#calendar [data-day='" + shift(from.getAttribute("data-day"), days) + "']");
    if (!target) { return; }
    from.tabIndex = -1;
    target.tabIndex = 0;
    target.focus();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("#calendar .day-button");
    if (button) { choose(button.getAttribute("data-day")); }
  });

  document.addEventListener("keydown", function (event) {
    var button = event.target.closest && event.target.closest("#calendar .day-button");
    if (!button) { return; }
    var steps = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 };
    if (event.key in steps) {
      event.preventDefault();
      move(button, steps[event.key]);
    } else if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      var row = button.closest("tr").querySelectorAll(".day-button");
      if (row.length) {
        button.tabIndex = -1;
        var target = event.key === "Home" ? row[0] : row[row.length - 1];
        target.tabIndex = 0;
        target.focus();
      }
    }
  });

  /* Dates typed in the form show in the month too. */
  document.addEventListener("change", function (event) {
    if (event.target.closest && event.target.closest(".booking-form")) { paint(); }
  });

  document.addEventListener("DOMContentLoaded", setupFocus);
  document.body && document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "calendar") { setupFocus(); }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.id === "calendar") { setupFocus(); }
  });
})();
