/* reportgen: opens a password-protected page in the browser (WebCrypto).
   The page holds only the sealed report: AES-256-GCM, key from PBKDF2-SHA256.
   The derived key (never the password) is kept in sessionStorage so moving
   between months needs no retyping, and in localStorage with "remember me". */
(function () {
  "use strict";
  var sealed = JSON.parse(document.getElementById("sealed").textContent);
  var storageKey = "reportgen-key:" + sealed.salt;
  var form = document.getElementById("unlock");
  var error = document.getElementById("unlock-error");
  var busy = document.getElementById("unlock-busy");

  function bytes(base64) {
    var text = atob(base64);
    var out = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) { out[i] = text.charCodeAt(i); }
    return out;
  }

  function base64(buffer) {
    var view = new Uint8Array(buffer);
    var text = "";
    for (var i = 0; i < view.length; i++) { text += String.fromCharCode(view[i]); }
    return btoa(text);
  }

  function derive(password) {
    return crypto.subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, ["deriveKey"])
      .then(function (material) {
        return crypto.subtle.deriveKey(
          { name: "PBKDF2", salt: bytes(sealed.salt), iterations: sealed.iterations, hash: "SHA-256" },
          material, { name: "AES-GCM", length: 256 }, true, ["decrypt"]);
      });
  }

  function open(key) {
    return crypto.subtle.decrypt({ name: "AES-GCM", iv: bytes(sealed.iv) }, key, bytes(sealed.data))
      .then(function (plain) { return new TextDecoder().decode(plain); });
  }

  function show(html) {
    document.open();
    document.write(html);
    document.close();
  }

  function remembered() {
    try { return sessionStorage.getItem(storageKey) || localStorage.getItem(storageKey); } catch (e) { return null; }
  }

  function keep(key, remember) {
    return crypto.subtle.exportKey("raw", key).then(function (raw) {
      try {
        sessionStorage.setItem(storageKey, base64(raw));
        if (remember) { localStorage.setItem(storageKey, base64(raw)); }
      } catch (e) { /* storage disabled: the password is asked on every page */ }
    });
  }

  function ask() {
    form.hidden = false;
    document.getElementById("password").focus();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    error.hidden = true;
    busy.hidden = false;
    var password = document.getElementById("password").value;
    var remember = document.getElementById("remember").checked;
    derive(password).then(function (key) {
      return open(key).then(function (html) {
        return keep(key, remember).then(function () { show(html); });
      });
    }).catch(function () {
      busy.hidden = true;
      error.hidden = false;
      document.getElementById("password").select();
    });
  });

  var saved = remembered();
  if (saved) {
    crypto.subtle.importKey("raw", bytes(saved), { name: "AES-GCM" }, true, ["decrypt"])
      .then(open).then(show, ask);
  } else {
    ask();
  }
})();
