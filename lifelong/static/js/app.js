// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    // Dismiss a flash message.
    var close = event.target.closest("[data-dismiss]");
    if (close) {
      var flash = close.closest(".flash");
      if (flash) flash.remove();
      return;
    }
    // Select the contents of a shown-once secret for copying.
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var target = document.getElementById(copy.getAttribute("data-copy"));
      if (!target) return;
      var text = target.value || target.textContent;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () {
          copy.textContent = "Copied";
        });
      } else if (target.select) {
        target.select();
        copy.textContent = "Press Ctrl+C / ⌘C";
      }
    }
  });

  // When htmx puts an inline editor on the page, focus its first field.
  document.addEventListener("htmx:load", function (event) {
    var elt = event.detail.elt;
    if (!elt || elt === document.body || !elt.querySelector) return;
    var field = elt.matches("[data-autofocus]") ? elt : elt.querySelector("[data-autofocus]");
    if (field) {
      field.focus({ preventScroll: true });
      field.scrollIntoView({ block: "center", behavior: "smooth" });
    }
  });
})();
