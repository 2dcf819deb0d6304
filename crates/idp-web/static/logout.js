// Symbolon: the IdP's logout page (single logout in frames), and nothing else.
// Each frame asks one application to sign the user out; this script asks the server how the
// answers stand, shows each application's state, and moves on (to the Continue link) when every
// application has answered or the wait is over. Without script, the Continue link does it.
(function () {
  "use strict";
  var list = document.getElementById("logout-round");
  if (!list) { return; }
  var finish = list.getAttribute("data-finish");
  var statusUrl = list.getAttribute("data-status");
  var wait = (parseInt(list.getAttribute("data-wait"), 10) || 10) * 1000;
  var states = list.querySelectorAll(".logout-state");
  var words = {
    "waiting": list.getAttribute("data-waiting"),
    "signed-out": list.getAttribute("data-signed-out"),
    "not-confirmed": list.getAttribute("data-not-confirmed")
  };
  var started = Date.now();
  var done = false;
  function go() {
    if (done) { return; }
    done = true;
    window.location.replace(finish);
  }
  function show(apps, late) {
    for (var i = 0; i < states.length && i < apps.length; i++) {
      var word = apps[i] === "waiting" && late ? list.getAttribute("data-no-answer") : words[apps[i]];
      if (word && states[i].textContent !== word) { states[i].textContent = word; }
    }
  }
  function tick() {
    var late = Date.now() - started >= wait;
    fetch(statusUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (s) {
        var apps = s.applications || [];
        show(apps, late);
        if (late || apps.every(function (a) { return a !== "waiting"; })) { go(); } else { setTimeout(tick, 700); }
      })
      .catch(function () { if (late) { go(); } else { setTimeout(tick, 1000); } });
  }
  show(Array.prototype.map.call(states, function () { return "waiting"; }), false);
  setTimeout(tick, 300);
})();
