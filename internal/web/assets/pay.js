// Niceties of the hosted checkout; every page works without this file.
// - A form marked data-once is sent once: a second press of Pay does
//   nothing (the server charges once anyway). The button is disabled only
//   after the browser has read the form, so that its value is still sent.
// - The expiry gets its slash as it is typed.
// - The error summary takes the focus, so screen readers read it first.
// - A link marked data-follow (the way to PayPal) is followed at once.
(function () {
  "use strict";

  function lock(form) {
    var buttons = form.querySelectorAll("button");
    for (var i = 0; i < buttons.length; i++) {
      var b = buttons[i];
      b.disabled = true;
      b.setAttribute("aria-disabled", "true");
      if (b.dataset.busy) {
        b.dataset.label = b.textContent;
        b.textContent = b.dataset.busy;
      }
    }
  }

  function unlock() {
    var forms = document.querySelectorAll("form[data-once]");
    for (var i = 0; i < forms.length; i++) {
      delete forms[i].dataset.sent;
      var buttons = forms[i].querySelectorAll("button");
      for (var j = 0; j < buttons.length; j++) {
        var b = buttons[j];
        b.disabled = false;
        b.removeAttribute("aria-disabled");
        if (b.dataset.label) {
          b.textContent = b.dataset.label;
        }
      }
    }
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.matches || !form.matches("form[data-once]")) {
      return;
    }
    var all = document.querySelectorAll("form[data-once]");
    for (var i = 0; i < all.length; i++) {
      if (all[i].dataset.sent) {
        ev.preventDefault();
        return;
      }
    }
    form.dataset.sent = "1";
    setTimeout(function () {
      for (var i = 0; i < all.length; i++) {
        lock(all[i]);
      }
    }, 0);
  });

  // Coming back with the Back button shows the page from the cache, locked.
  window.addEventListener("pageshow", function (ev) {
    if (ev.persisted) {
      unlock();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var exp = document.getElementById("exp");
    if (exp) {
      exp.addEventListener("input", function (ev) {
        if (ev.inputType && ev.inputType.indexOf("delete") === 0) {
          return;
        }
        var v = exp.value.replace(/\s+/g, "").replace(/\/+/g, "/");
        if (/^\d{2}$/.test(v)) {
          v += "/";
        } else if (/^[2-9]$/.test(v)) {
          v = "0" + v + "/";
        }
        if (v !== exp.value) {
          exp.value = v;
        }
      });
    }
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
    var follow = document.querySelector("a[data-follow]");
    if (follow) {
      window.location.assign(follow.href);
    }
  });
})();
