// Dashboard niceties; every page works without this file. A button with
// data-copy copies the value of the element it names to the clipboard.
"use strict";
document.addEventListener("click", function (ev) {
  var b = ev.target.closest("button[data-copy]");
  if (!b || !navigator.clipboard) return;
  var src = document.getElementById(b.getAttribute("data-copy"));
  if (!src) return;
  navigator.clipboard.writeText(src.value || src.textContent).then(function () {
    var done = b.getAttribute("data-done");
    if (done) { b.textContent = done; }
  });
});
document.querySelectorAll("button[data-copy]").forEach(function (b) { b.hidden = false; });
