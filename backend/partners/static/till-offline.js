// The partner till page without a connection.
//
// Online, each load keeps what an offline check needs in this browser: the pass keys (JWKS),
// the revocation list and today's offers. Offline, a submitted pass is checked here as the
// server checks it (backend/partners/pass_code.py): the server's Ed25519 signature on the pass,
// its expiry, the revocation list, the phone's signature on the current minute (a screenshot
// dies within 2 minutes). An accepted use is queued with its own scan id; when the connection
// returns the queue is sent to the offline batch service, which deduplicates by scan id and
// keeps over-limit uses flagged for finance, and the page says what became of each.
(function () {
  "use strict";
  var config = document.getElementById("till-config");
  var form = document.getElementById("form-scan");
  if (!config || !form || !window.crypto || !window.crypto.subtle || !window.localStorage) { return; }
  var texts = JSON.parse(config.dataset.texts);
  var SYNC_KEY = "borsellino.till.sync";
  var QUEUE_KEY = "borsellino.till.queue";
  var ISSUER = "borsellino/partner-pass";
  var AUDIENCE = "till";
  var MAX_CODE_LENGTH = 2000;
  var SYNC_LIFETIME_MS = 48 * 3600 * 1000;  // a pass lives 48 h: older keys and revocations are not trusted
  var status = document.getElementById("till-status");
  var result = document.getElementById("offline-result");
  var uploading = false;

  function load(key, fallback) {
    try { var value = JSON.parse(localStorage.getItem(key)); return value === null ? fallback : value; }
    catch (e) { return fallback; }
  }
  function save(key, value) { localStorage.setItem(key, JSON.stringify(value)); }
  function queue() { return load(QUEUE_KEY, []); }

  function showStatus() {
    var offline = !navigator.onLine;
    var parts = [];
    var synced = load(SYNC_KEY, null);
    if (offline) { parts.push(synced ? texts.offline : texts.not_synced); }
    else if (synced) { parts.push(texts.ready); }
    var waiting = queue().length;
    if (waiting) { parts.push(texts.queued.replace("{count}", String(waiting))); }
    status.dataset.state = offline ? "offline" : "online";
    status.dataset.queued = String(waiting);
    status.textContent = parts.join(" ");
  }

  // --- keeping what an offline check needs -------------------------------------------------

  function sync() {
    return fetch(config.dataset.syncUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        if (!response.ok || !json) { throw new Error("sync refused"); }
        return response.json();
      })
      .then(function (data) { data.received_at = Date.now(); save(SYNC_KEY, data); showStatus(); })
      .catch(function () { showStatus(); });
  }

  // --- checking a pass here ------------------------------------------------------------------

  function bytes(b64url) {
    var text = b64url.replace(/-/g, "+").replace(/_/g, "/");
    while (text.length % 4) { text += "="; }
    var binary = atob(text);
    var out = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { out[i] = binary.charCodeAt(i); }
    return out;
  }
  function utf8(text) { return new TextEncoder().encode(text); }
  function json(b64url) { return JSON.parse(new TextDecoder().decode(bytes(b64url))); }

  // WebCrypto's Ed25519 where the browser has it; else the vendored @noble/ed25519, imported at
  // load (while online: offline it could not be fetched).
  var fallback = null;
  var PROBE_KEY = bytes("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");  // RFC 8032 test 1 public key
  var ready = crypto.subtle.importKey("raw", PROBE_KEY, { name: "Ed25519" }, false, ["verify"]).then(null, function () {
    fallback = import(config.dataset.ed25519Fallback);
    return fallback.then(null, function () { fallback = null; });
  });

  function verifyEd25519(publicKey, signature, message) {
    if (publicKey.length !== 32 || signature.length !== 64) { return Promise.resolve(false); }
    return ready.then(function () { return verifyWith(publicKey, signature, message); });
  }

  function verifyWith(publicKey, signature, message) {
    if (fallback) {
      return fallback.then(function (ed) { return ed.verifyAsync(signature, message, publicKey, { zip215: false }); })
        .catch(function () { return false; });
    }
    return crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"])
      .then(function (key) { return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message); })
      .catch(function () { return false; });
  }

  function Refused(reason) { this.reason = reason; }

  function checkPass(code, synced, now) {
    var parts = typeof code === "string" ? code.split("~") : [];
    if (code.length > MAX_CODE_LENGTH || parts.length !== 3) { return Promise.reject(new Refused("malformed")); }
    var token = parts[0].split(".");
    var header, claims, key;
    try {
      if (token.length !== 3) { throw new Error("not a JWT"); }
      header = json(token[0]); claims = json(token[1]);
      key = (synced.jwks.keys || []).filter(function (k) {
        return k.kid === header.kid && k.kty === "OKP" && k.crv === "Ed25519";
      })[0];
      if (header.alg !== "EdDSA" || !key) { throw new Error("unknown key"); }
    } catch (e) { return Promise.reject(new Refused("tampered")); }
    return verifyEd25519(bytes(key.x), bytes(token[2]), utf8(token[0] + "." + token[1])).then(function (genuine) {
      var audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (!genuine || claims.iss !== ISSUER || audience.indexOf(AUDIENCE) < 0 || typeof claims.jti !== "string" ||
          typeof claims.dk !== "string" || !claims.net || typeof claims.exp !== "number") {
        throw new Refused("tampered");
      }
      if (now >= claims.exp * 1000) { throw new Refused("expired"); }
      if (synced.revoked.passes.indexOf(claims.jti) >= 0) { throw new Refused("revoked"); }
      if (!/^\d{1,12}$/.test(parts[1])) { throw new Refused("tampered"); }
      var minute = parseInt(parts[1], 10);
      var signed;
      try { signed = bytes(parts[2]); } catch (e) { throw new Refused("tampered"); }
      return verifyEd25519(bytes(claims.dk), signed, utf8("bxp1:" + claims.jti + ":" + minute)).then(function (ok) {
        if (!ok) { throw new Refused("tampered"); }
        var nowMinute = Math.floor(now / 60000);
        if (minute !== nowMinute && minute !== nowMinute - 1) { throw new Refused("stale"); }
        return { first_name: String(claims.fn || ""), initial: String(claims.li || ""), age_band: claims.ab || "" };
      });
    });
  }

  // The same rule as the server's price() (backend/partners/redeem.py), for the amount to ask.
  function priceToAsk(offer, listPrice, quantity) {
    var gross = listPrice * quantity, value = offer.benefit_value, discount;
    if (offer.benefit_kind === "percent_off") { discount = Math.floor((gross * value + 50) / 100); }
    else if (offer.benefit_kind === "amount_off") { discount = Math.min(value, listPrice) * quantity; }
    else if (offer.benefit_kind === "fixed_price") { discount = Math.max(listPrice - value, 0) * quantity; }
    else if (offer.benefit_kind === "free_entry") { discount = gross; }
    else { discount = listPrice * Math.floor(quantity / 2); }
    return gross - Math.min(discount, gross);
  }

  function cents(raw) {
    var match = /^\s*(\d{1,7})(?:[.,](\d{1,2}))?\s*(?:€)?\s*$/.exec(raw || "");
    if (!match) { return null; }
    var amount = parseInt(match[1], 10) * 100 + parseInt((match[2] || "0") + "0".repeat(2 - (match[2] || "0").length), 10);
    return amount > 0 ? amount : null;
  }

  function euros(amount) {
    return new Intl.NumberFormat(config.dataset.lang === "en" ? "en-IE" : "it-IT", { style: "currency", currency: "EUR" })
      .format(amount / 100);
  }

  function show(accepted, details) {
    var verdict = document.getElementById("verdict");
    verdict.className = "verdict " + (accepted ? "ok" : "no");
    verdict.setAttribute("role", accepted ? "status" : "alert");
    document.getElementById("verdict-word").textContent = accepted ? texts.accepted : texts.refused;
    var holder = document.getElementById("holder");
    var price = document.getElementById("price-to-ask");
    var reason = document.getElementById("reason");
    holder.hidden = price.hidden = !accepted;
    reason.hidden = accepted;
    if (accepted) {
      holder.textContent = details.holder.first_name + " " + details.holder.initial + " · " +
        (texts.age_bands[details.holder.age_band] || texts.age_bands[""]);
      price.textContent = texts.ask + " " + euros(details.price);
    } else {
      reason.textContent = details;
    }
    document.getElementById("offline-note").textContent = accepted ? texts.offline_note : "";
    form.hidden = true;
    result.hidden = false;
    document.getElementById("offline-next").focus();
  }

  function scanOffline() {
    var synced = load(SYNC_KEY, null);
    var now = Date.now();
    if (!synced || now - synced.received_at > SYNC_LIFETIME_MS) { show(false, texts.not_synced); return; }
    var offerId = form.elements.offer_id.value, venueId = form.elements.venue_id.value;
    var offer = synced.offers.filter(function (o) { return o.id === offerId; })[0];
    if (!offer) { show(false, texts.no_offer); return; }
    if (synced.revoked.offers.indexOf(offerId) >= 0) { show(false, texts.refusals.offer_revoked); return; }
    if (offer.venues.indexOf(venueId) < 0) { show(false, texts.refusals.wrong_venue); return; }
    var listPrice = cents(form.elements.list_price.value);
    if (listPrice === null) { show(false, texts.bad_price); return; }
    var quantityText = form.elements.quantity.value.trim();
    var quantity = /^\d{1,3}$/.test(quantityText) ? parseInt(quantityText, 10) : 0;
    if (quantity < 1 || quantity > offer.max_quantity) {
      show(false, texts.refusals.quantity.replace("{max}", String(offer.max_quantity))); return;
    }
    var code = form.elements.code.value.trim();
    checkPass(code, synced, now).then(function (holder) {
      var price = priceToAsk(offer, listPrice, quantity);
      var waiting = queue();
      waiting.push({
        scan_id: crypto.randomUUID(),
        code: code,
        venue_id: venueId,
        offer_id: offerId,
        list_price: { amount: listPrice, currency: "EUR" },
        quantity: quantity,
        scanned_at: new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z"),
        shown: { holder: holder.first_name + " " + holder.initial, offer: offer.title },
      });
      save(QUEUE_KEY, waiting);
      showStatus();
      show(true, { holder: holder, price: price });
    }, function (refusal) {
      show(false, texts.refusals[refusal instanceof Refused ? refusal.reason : "tampered"]);
    });
  }

  form.addEventListener("submit", function (event) {
    if (navigator.onLine) { return; }  // online, the server judges the use (the form posts as usual)
    event.preventDefault();
    scanOffline();
  });

  document.getElementById("offline-next").textContent = texts.next;
  document.getElementById("offline-next").addEventListener("click", function () {
    result.hidden = true;
    form.hidden = false;
    form.elements.code.value = "";
    form.elements.code.focus();
  });

  // --- sending the queue when the connection returns ----------------------------------------

  function report(results, waiting) {
    var byId = {};
    waiting.forEach(function (item) { byId[item.scan_id] = item; });
    var list = document.getElementById("upload-results");
    results.forEach(function (r) {
      var item = document.createElement("li");
      var scan = byId[r.scan_id] || { shown: { holder: "", offer: "" } };
      item.dataset.outcome = r.outcome;
      item.textContent = scan.shown.holder + " · " + scan.shown.offer + ": " + texts["outcome_" + r.outcome] +
        (r.message ? " (" + r.message + ")" : "");
      list.appendChild(item);
    });
    document.getElementById("upload-title").textContent = texts.uploaded;
    document.getElementById("upload-report").hidden = false;
  }

  function upload() {
    var waiting = queue();
    if (uploading || !waiting.length || !navigator.onLine) { return Promise.resolve(); }
    uploading = true;
    var batch = waiting.slice(0, parseInt(config.dataset.maxBatch, 10));
    var body = new URLSearchParams();
    body.set("csrf_token", form.elements.csrf_token.value);
    body.set("scans", JSON.stringify(batch.map(function (item) {
      var sent = Object.assign({}, item); delete sent.shown; return sent;
    })));
    return fetch(config.dataset.uploadUrl, {
      method: "POST", body: body, credentials: "same-origin", headers: { Accept: "application/json" },
    }).then(function (response) {
      var isJson = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (!response.ok || !isJson) { throw new Error("upload refused"); }
      return response.json();
    }).then(function (answer) {
      var done = {};
      answer.results.forEach(function (r) { done[r.scan_id] = true; });
      // Only what the server answered for leaves the phone; anything else is sent again later.
      save(QUEUE_KEY, queue().filter(function (item) { return !done[item.scan_id]; }));
      report(answer.results, batch);
      uploading = false;
      showStatus();
      return queue().length ? upload() : undefined;
    }).catch(function () {
      uploading = false;
      document.getElementById("upload-title").textContent = texts.upload_failed;
      document.getElementById("upload-report").hidden = false;
      showStatus();
    });
  }

  // The page itself opens offline too, from the copy the service worker keeps (static/till-sw.js).
  if (navigator.serviceWorker) { navigator.serviceWorker.register(config.dataset.worker).catch(function () {}); }
  window.addEventListener("online", function () { showStatus(); upload().then(sync); });
  window.addEventListener("offline", showStatus);
  showStatus();
  if (navigator.onLine) { upload().then(sync); }
})();
