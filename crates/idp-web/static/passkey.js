// Symbolon: the WebAuthn ceremonies of the login and account pages, and nothing else.
// A form with data-options carries the server's challenge (JSON); the browser's answer goes back
// in the form's hidden "credential" field, and the form is posted as usual.
(function () {
  "use strict";
  function fromB64u(s) {
    var b = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));
    var a = new Uint8Array(b.length);
    for (var i = 0; i < b.length; i++) a[i] = b.charCodeAt(i);
    return a.buffer;
  }
  function toB64u(buf) {
    var a = new Uint8Array(buf), s = "";
    for (var i = 0; i < a.length; i++) s += String.fromCharCode(a[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  // The status line's words in the page's language, from its data-* attributes.
  function words(form, key) {
    var el = form.querySelector("#passkey-status");
    return (el && el.dataset[key]) || key;
  }
  function say(form, text) {
    var p = form.querySelector("#passkey-status");
    if (p) p.textContent = text;
  }
  function supported() {
    return window.PublicKeyCredential && navigator.credentials && window.isSecureContext;
  }
  function requestOptions(form) {
    var o = JSON.parse(form.dataset.options).publicKey;
    o.challenge = fromB64u(o.challenge);
    (o.allowCredentials || []).forEach(function (c) { c.id = fromB64u(c.id); });
    return o;
  }
  function creationOptions(form) {
    var o = JSON.parse(form.dataset.options).publicKey;
    o.challenge = fromB64u(o.challenge);
    o.user.id = fromB64u(o.user.id);
    (o.excludeCredentials || []).forEach(function (c) { c.id = fromB64u(c.id); });
    return o;
  }
  function assertionJSON(c) {
    var r = c.response;
    return JSON.stringify({
      id: c.id, rawId: toB64u(c.rawId), type: c.type,
      extensions: c.getClientExtensionResults ? c.getClientExtensionResults() : {},
      response: {
        authenticatorData: toB64u(r.authenticatorData),
        clientDataJSON: toB64u(r.clientDataJSON),
        signature: toB64u(r.signature),
        userHandle: r.userHandle ? toB64u(r.userHandle) : null
      }
    });
  }
  function attestationJSON(c) {
    var r = c.response;
    return JSON.stringify({
      id: c.id, rawId: toB64u(c.rawId), type: c.type,
      extensions: c.getClientExtensionResults ? c.getClientExtensionResults() : {},
      response: {
        attestationObject: toB64u(r.attestationObject),
        clientDataJSON: toB64u(r.clientDataJSON),
        transports: r.getTransports ? r.getTransports() : []
      }
    });
  }
  function failed(form, e) {
    if (e && e.name === "AbortError") return;
    say(form, e && e.name === "NotAllowedError"
      ? words(form, "cancelled")
      : words(form, "failed") + (e && e.message ? " (" + e.message + ")" : ""));
  }

  // Sign-in: the button (a modal request) and, where the browser offers it, autofill of the
  // username field (conditional mediation). One challenge serves either; the first answer wins.
  var signin = document.getElementById("passkey-signin");
  if (signin) {
    var field = signin.querySelector("#passkey-credential");
    var pending = null;
    var ask = function (mediation) {
      if (pending) pending.abort();
      pending = new AbortController();
      var req = { publicKey: requestOptions(signin), signal: pending.signal };
      if (mediation) req.mediation = mediation;
      return navigator.credentials.get(req).then(function (c) {
        if (!c) return;
        field.value = assertionJSON(c);
        say(signin, words(signin, "signingIn"));
        signin.submit();
      });
    };
    if (!supported()) {
      say(signin, words(signin, "cannotSignIn"));
    } else {
      signin.addEventListener("submit", function (ev) {
        if (field.value) return;
        ev.preventDefault();
        say(signin, words(signin, "followPrompt"));
        ask(null).catch(function (e) { failed(signin, e); });
      });
      if (PublicKeyCredential.isConditionalMediationAvailable) {
        PublicKeyCredential.isConditionalMediationAvailable().then(function (ok) {
          if (ok && document.getElementById("username")) {
            ask("conditional").catch(function (e) { failed(signin, e); });
          }
        });
      }
    }
  }

  // Registration (the account console, or the required action at sign-in).
  var reg = document.getElementById("passkey-register");
  if (reg) {
    var out = reg.querySelector("#passkey-credential");
    reg.addEventListener("submit", function (ev) {
      if (out.value) return;
      ev.preventDefault();
      if (!supported()) { say(reg, words(reg, "cannotCreate")); return; }
      var name = reg.querySelector("#passkey-name");
      if (name && !name.value.trim()) { say(reg, words(reg, "nameFirst")); name.focus(); return; }
      say(reg, words(reg, "followPrompt"));
      navigator.credentials.create({ publicKey: creationOptions(reg) }).then(function (c) {
        out.value = attestationJSON(c);
        say(reg, words(reg, "saving"));
        reg.submit();
      }).catch(function (e) { failed(reg, e); });
    });
  }
})();
