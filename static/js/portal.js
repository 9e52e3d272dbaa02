// Site-wide behaviour. No inline scripts anywhere (Content-Security-Policy).
(function () {
  "use strict";
  // A <select data-autosubmit> submits its form on change (language and organisation switchers).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });
  // A form or button with data-confirm asks before it goes.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var message = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
  // Copy-to-clipboard buttons: <button data-copy="#target">
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var target = document.querySelector(button.getAttribute("data-copy"));
      if (!target) { return; }
      navigator.clipboard.writeText(target.value || target.textContent).then(function () {
        button.classList.add("copied");
        setTimeout(function () { button.classList.remove("copied"); }, 1500);
      });
    });
  });
})();
