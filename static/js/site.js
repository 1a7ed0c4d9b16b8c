// Progressive enhancement only: every page works without JavaScript.
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", function () {
  var toggle = document.querySelector(".nav-toggle");
  var nav = document.getElementById("site-nav");
  if (!toggle || !nav) return;
  toggle.addEventListener("click", function () {
    var open = nav.classList.toggle("open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });
});

// A form marked data-once sends once: a second click while the first is on its way does nothing
// (the server is idempotent anyway; this spares the user a confusing wait).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.hasAttribute || !form.hasAttribute("data-once")) return;
  if (form.dataset.sent) { event.preventDefault(); return; }
  form.dataset.sent = "1";
  form.querySelectorAll("button[type=submit]").forEach(function (b) { b.setAttribute("aria-disabled", "true"); });
});

// A part of a form marked data-shown-when="field=value1,value2" shows only while that radio
// choice is made (without JavaScript every part shows; the server ignores the parts that do not
// apply to the choice).
function syncShownWhen(form) {
  form.querySelectorAll("[data-shown-when]").forEach(function (part) {
    var rule = part.getAttribute("data-shown-when").split("=");
    var checked = form.querySelector('input[name="' + rule[0] + '"]:checked');
    part.hidden = rule[1].split(",").indexOf(checked ? checked.value : "") < 0;
  });
}
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form").forEach(function (form) {
    if (!form.querySelector("[data-shown-when]")) return;
    syncShownWhen(form);
    form.addEventListener("change", function () { syncShownWhen(form); });
  });
});
