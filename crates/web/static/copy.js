// Copy buttons for the consoles (progressive enhancement: without script the values are plain
// text to select). Every element with a data-copy attribute gets a button after it that puts its
// text on the clipboard; a polite live region says that it was copied. The words come from the
// page (data-copy-label / data-copied on <main>), so they follow the page's language.
(function () {
  "use strict";
  var main = document.getElementById("main");
  if (!main || !navigator.clipboard) { return; }
  var label = main.getAttribute("data-copy-label") || "Copy";
  var copied = main.getAttribute("data-copied") || "Copied";
  var status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  main.appendChild(status);
  var items = main.querySelectorAll("[data-copy]");
  for (var i = 0; i < items.length; i++) {
    (function (el) {
      var what = el.getAttribute("data-copy");
      var b = document.createElement("button");
      b.type = "button";
      b.className = "copy secondary";
      b.textContent = label;
      if (what) { b.setAttribute("aria-label", label + ": " + what); }
      b.addEventListener("click", function () {
        navigator.clipboard.writeText(el.textContent.trim()).then(function () {
          b.textContent = copied;
          status.textContent = copied + (what ? ": " + what : "");
          setTimeout(function () { b.textContent = label; }, 2000);
        });
      });
      el.insertAdjacentElement("afterend", b);
    })(items[i]);
  }
})();
