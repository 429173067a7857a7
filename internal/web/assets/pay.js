// Niceties of the hosted checkout; every page works without this file.
// - A form marked data-once is sent once: a second press of Pay does
//   nothing (the server charges once anyway). The button is disabled only
//   after the browser has read the form, so that its value is still sent.
// - The expiry gets its slash as it is typed.
// - The card brand the number's first digits name stands out among the
//   marks (the ranges of pasarela.CardBrand); the others fade.
// - The error summary takes the focus, so screen readers read it first.
// - A link marked data-follow (the way to PayPal) is followed at once.
// - A deposit's page counts down the time left, asks the gateway for the
//   deposit's status every few seconds and shows it as it changes, and
//   copies the address at a press.
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

  // brandOf names a card's brand from its first digits, as the gateway
  // does (pasarela.CardBrand); "" while they name none.
  function brandOf(n) {
    var p2 = +n.slice(0, 2), p3 = +n.slice(0, 3), p4 = +n.slice(0, 4);
    if (/^4/.test(n)) {
      return "visa";
    }
    if ((n.length >= 2 && p2 >= 51 && p2 <= 55) || (n.length >= 4 && p4 >= 2221 && p4 <= 2720)) {
      return "mastercard";
    }
    if (n.length >= 2 && (p2 === 34 || p2 === 37)) {
      return "amex";
    }
    if ((n.length >= 4 && p4 === 6011) || (n.length >= 2 && p2 === 65) || (n.length >= 3 && p3 >= 644 && p3 <= 649)) {
      return "discover";
    }
    return "";
  }

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
    var number = document.getElementById("number");
    var brands = document.querySelector(".brands");
    if (number && brands) {
      var showBrand = function () {
        var brand = brandOf(number.value.replace(/[\s-]+/g, ""));
        if (brand) {
          brands.dataset.match = brand;
        } else {
          delete brands.dataset.match;
        }
      };
      number.addEventListener("input", showBrand);
      showBrand();
    }
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
    var follow = document.querySelector("a[data-follow]");
    if (follow) {
      window.location.assign(follow.href);
    }
    var deposit = document.getElementById("deposit");
    if (deposit) {
      watchDeposit(deposit);
    }
  });

  // Statuses after which a deposit no longer changes by itself.
  var settled = ["completed", "expired", "failed", "invalidated", "refunded", "partially_refunded"];

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function countdownText(secs) {
    secs = Math.max(0, Math.floor(secs));
    var h = Math.floor(secs / 3600), m = Math.floor(secs / 60) % 60, s = secs % 60;
    return h > 0 ? h + ":" + pad(m) + ":" + pad(s) : m + ":" + pad(s);
  }

  function watchDeposit(deposit) {
    var statusEl = document.getElementById("deposit-status");
    var countdown = document.getElementById("countdown");
    var texts = {};
    var items = document.querySelectorAll("#deposit-texts li");
    for (var i = 0; i < items.length; i++) {
      texts[items[i].dataset.status] = items[i].textContent;
    }
    // The deadline as this browser's clock reads it, from the seconds the
    // gateway said were left (the buyer's clock may be off).
    var deadline = Date.now() + Number(countdown ? countdown.dataset.seconds : 0) * 1000;

    function tick() {
      if (countdown) {
        countdown.textContent = countdownText((deadline - Date.now()) / 1000);
      }
    }
    var ticker = setInterval(tick, 1000);
    tick();

    function show(st) {
      var status = st.status;
      var text = texts[(st.late && (status === "expired" || status === "failed")) ? "late" : status];
      if (text && statusEl.textContent !== text) {
        statusEl.textContent = text;
      }
      deposit.dataset.status = status;
      var progress = document.getElementById("deposit-progress");
      if (progress && st.received && Number(st.received) > 0) {
        document.getElementById("deposit-received").textContent = st.received;
        document.getElementById("deposit-confirmations").textContent = String(st.confirmations);
        progress.hidden = false;
      }
      deadline = Date.now() + st.expires_in * 1000;
      tick();
      // The merchant's return link carries the status as it now stands.
      var back = document.getElementById("return");
      if (back) {
        try {
          var u = new URL(back.href);
          if (u.searchParams.get("status") !== status) {
            u.searchParams.set("status", status);
            back.href = u.toString();
          }
        } catch (e) { /* leave the link as the server wrote it */ }
      }
      if (settled.indexOf(status) >= 0) {
        clearInterval(ticker);
        return true;
      }
      return false;
    }

    function poll() {
      fetch(deposit.dataset.statusUrl, { cache: "no-store", credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (res) {
          if (!res.ok) {
            throw new Error("status " + res.status);
          }
          return res.json();
        })
        .then(function (st) {
          if (!show(st)) {
            setTimeout(poll, 3000);
          }
        })
        .catch(function () {
          setTimeout(poll, 6000); // a network blip: try again a little later
        });
    }
    if (settled.indexOf(deposit.dataset.status) < 0) {
      setTimeout(poll, 3000);
    } else {
      clearInterval(ticker);
    }

    var copy = document.querySelector("button[data-copy]");
    if (copy) {
      var field = document.getElementById(copy.dataset.copy);
      copy.hidden = false;
      copy.addEventListener("click", function () {
        field.select();
        var done = function () {
          copy.textContent = copy.dataset.done;
        };
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(field.value).then(done, function () {
            if (document.execCommand("copy")) {
              done();
            }
          });
        } else if (document.execCommand("copy")) {
          done();
        }
      });
    }
  }
})();
