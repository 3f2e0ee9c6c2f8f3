/* reportgen: opens a password-protected page in the browser (WebCrypto).

   The page carries the sealed report (reportgen-sealed/2): the report is
   encrypted with AES-256-GCM under a random content key, and that key is
   wrapped (AES-KW) under each person's key-encryption key (KEK), which is
   PBKDF2-SHA256 over their password and the portal's salt. The KEK, never the
   password, is kept: for the tab in sessionStorage, and with "remember me" as
   a non-extractable CryptoKey in IndexedDB (in localStorage where IndexedDB is
   unavailable). A remembered KEK that opens nothing any more (the person was
   removed, or their password changed) is forgotten.

   Loaded in <head>: it hides the login card until it knows whether a
   remembered key opens the page, and it replaces the document only once the
   login page is fully parsed. The opened page's scripts are added again (the
   parser does not run them) and run in order, under the page's CSP
   (script-src 'self'): no document.write, no inline script. */
(function () {
  "use strict";
  var root = document.documentElement;
  var subtle = window.crypto && window.crypto.subtle;
  var DATABASE = "reportgen";
  var STORE = "keys";
  var PREFIX = "reportgen-key:";
  root.classList.add("unlocking");  // the login card stays hidden until asked for

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

  // --- IndexedDB: one object store, storage key → non-extractable CryptoKey ----------------

  function database() {
    return new Promise(function (resolve, reject) {
      var request = window.indexedDB.open(DATABASE, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
      request.onblocked = function () { reject(new Error("blocked")); };
      setTimeout(function () { reject(new Error("IndexedDB timed out")); }, 3000);
    });
  }

  function transact(mode, action) {
    return database().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var request = action(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(request && request.result); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function attempt(action) {  // storage may be disabled: then nothing is remembered
    try { return action(); } catch (e) { return null; }
  }

  // --- keys ------------------------------------------------------------------------------

  function importKek(raw) {
    return subtle.importKey("raw", raw, "AES-KW", false, ["unwrapKey"]);
  }

  function derive(sealed, password) {
    return subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, ["deriveBits"])
      .then(function (material) {
        return subtle.deriveBits({ name: "PBKDF2", salt: bytes(sealed.salt),
                                   iterations: sealed.iterations, hash: "SHA-256" }, material, 256);
      });
  }

  // The content key, unwrapped with whichever wrap this KEK opens.
  function contentKey(sealed, kek) {
    var chain = Promise.reject(new Error("no wraps"));
    sealed.keys.forEach(function (wrapped) {
      chain = chain.catch(function () {
        return subtle.unwrapKey("raw", bytes(wrapped), kek, "AES-KW", "AES-GCM", false, ["decrypt"]);
      });
    });
    return chain;
  }

  function openBytes(sealed, kek) {
    return contentKey(sealed, kek).then(function (key) {
      return subtle.decrypt({ name: "AES-GCM", iv: bytes(sealed.iv) }, key, bytes(sealed.data));
    });
  }

  function open(sealed, kek) {
    return openBytes(sealed, kek).then(function (plain) { return new TextDecoder().decode(plain); });
  }

  var opener = null;  // the KEK that opened this page: it opens the sealed files beside it too

  // The remembered KEK: { kek, raw } (raw: bytes found in localStorage), or null.
  function recall(name) {
    var tab = attempt(function () { return sessionStorage.getItem(name); });
    if (tab) { return importKek(bytes(tab)).then(function (kek) { return { kek: kek }; }); }
    return transact("readonly", function (store) { return store.get(name); })
      .catch(function () { return null; })
      .then(function (key) {
        if (key) { return { kek: key }; }
        var saved = attempt(function () { return localStorage.getItem(name); });
        return saved ? importKek(bytes(saved)).then(function (kek) { return { kek: kek, raw: saved }; })
          : null;
      });
  }

  // Key bytes in localStorage (a fallback, or an earlier reportgen's "remember me",
  // which derived the same key): moved into IndexedDB when the browser has it.
  function migrate(name, found) {
    if (!found.raw) { return; }
    transact("readwrite", function (store) { return store.put(found.kek, name); })
      .then(function () { attempt(function () { localStorage.removeItem(name); }); })
      .catch(function () { /* no IndexedDB: it stays where it is */ });
  }

  function keep(name, raw, kek, remember) {
    function inTab() { attempt(function () { sessionStorage.setItem(name, base64(raw)); }); }
    if (!remember) { inTab(); return Promise.resolve(); }
    return transact("readwrite", function (store) { return store.put(kek, name); })
      .catch(function () {  // no IndexedDB (some file:// or private modes): the raw KEK
        inTab();
        attempt(function () { localStorage.setItem(name, base64(raw)); });
      });
  }

  function forget(name) {
    [window.sessionStorage, window.localStorage].forEach(function (store) {
      attempt(function () {
        Object.keys(store).forEach(function (key) {
          if (name ? key === name : key.indexOf(PREFIX) === 0) { store.removeItem(key); }
        });
      });
    });
    return transact("readwrite", function (store) { return name ? store.delete(name) : store.clear(); })
      .catch(function () { /* nothing stored there */ });
  }

  // --- the opened page ---------------------------------------------------------------------

  function show(html) {
    var opened = new DOMParser().parseFromString(html, "text/html");
    var fresh = document.adoptNode(opened.documentElement);
    document.replaceChild(fresh, document.documentElement);
    // Parsed scripts never run: put a new element in each one's place; dynamic
    // scripts with async = false run in the order they are added.
    Array.prototype.forEach.call(fresh.querySelectorAll("script[src]"), function (inert) {
      var script = document.createElement("script");
      for (var i = 0; i < inert.attributes.length; i++) {
        script.setAttribute(inert.attributes[i].name, inert.attributes[i].value);
      }
      script.async = false;
      inert.parentNode.replaceChild(script, inert);
    });
    if (location.hash) { jumpToSection(fresh); }
  }

  // A link to a section (#budget) must land there, but the opened page is laid
  // out only once its stylesheet has loaded: jump then. (Charts draw later, as
  // they near the view, into boxes that already have their size: nothing moves.)
  function jumpToSection(root) {
    var id = decodeURIComponent(location.hash.slice(1));
    function jump() {
      var target = document.getElementById(id);
      if (target) { target.scrollIntoView(); }
    }
    var sheets = Array.prototype.filter.call(root.querySelectorAll('link[rel="stylesheet"]'),
                                             function (link) { return !link.sheet; });
    Promise.all(sheets.map(function (link) {
      return new Promise(function (done) { link.addEventListener("load", done); link.addEventListener("error", done); });
    })).then(jump);
  }

  function start() {
    var sealed = JSON.parse(document.getElementById("sealed").textContent);
    var name = PREFIX + sealed.salt;
    var form = document.getElementById("unlock");
    var error = document.getElementById("unlock-error");
    var busy = document.getElementById("unlock-busy");
    var field = document.getElementById("password");

    function ask() {
      root.classList.remove("unlocking");
      form.hidden = false;
      field.focus();
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      error.hidden = true;
      busy.hidden = false;
      var remember = document.getElementById("remember").checked;
      Promise.resolve(field.value).then(function (password) {
        return derive(sealed, password);
      }).then(function (raw) {
        return importKek(raw).then(function (kek) {
          return open(sealed, kek).then(function (html) {
            opener = kek;
            return keep(name, raw, kek, remember).then(function () { show(html); });
          });
        });
      }).catch(function () {
        busy.hidden = true;
        error.hidden = false;
        field.select();
      });
    });

    if (!subtle) { ask(); return; }  // no WebCrypto (an old browser, or http on a non-local host)
    recall(name).catch(function () {  // unreadable saved bytes
      return forget(name).then(function () { return null; });
    }).then(function (found) {
      if (!found) { return ask(); }
      return open(sealed, found.kek).then(function (html) {
        opener = found.kek;
        migrate(name, found);
        show(html);
      }, function () {
        // This key opens nothing here any more (removed from the portal, or a new password).
        return forget(name).then(ask);
      });
    });
  }

  // "Lock this report on this device": forget every remembered key, show the login again.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-forget]")) {
      event.preventDefault();
      event.stopImmediatePropagation();
      forget(null).then(function () { window.location.reload(); });
    }
  }, true);

  // A sealed download beside the page (report.pdf): fetched, opened with the key that
  // opened the page, and saved. Needs http(s): a browser does not fetch from file://.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-sealed-download]");
    if (!link || !opener) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    link.removeAttribute("data-download-failed");
    fetch(link.getAttribute("href"), { cache: "no-store" }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (sealed) {
      return openBytes(sealed, opener);
    }).then(function (plain) {
      var url = URL.createObjectURL(new Blob([plain], { type: link.getAttribute("data-type") }));
      var save = document.createElement("a");
      save.href = url;
      save.download = link.getAttribute("data-filename");
      document.body.appendChild(save);
      save.click();
      save.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
    }).catch(function (error) {  // e.g. opened from file://: say so beside the link
      link.setAttribute("data-download-failed", String(error && error.message || error));
      if (!link.nextElementSibling || !link.nextElementSibling.hasAttribute("data-download-status")) {
        var status = document.createElement("span");
        status.setAttribute("data-download-status", "");
        status.setAttribute("role", "status");
        status.className = "muted";
        status.textContent = " " + (link.getAttribute("data-failed-text") || "");
        link.parentNode.insertBefore(status, link.nextSibling);
      }
    });
  }, true);

  function begin() {
    try { start(); } catch (error) {  // a damaged page: never leave the card hidden
      root.classList.remove("unlocking");
      throw error;
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", begin);
  } else {
    begin();
  }
})();
