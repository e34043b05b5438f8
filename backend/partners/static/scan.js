// Camera scan of a patron's pass in the partner console: fills the code field and submits the form.
// Uses the browser's BarcodeDetector when present (Chrome on Android), else jsQR on canvas frames.
(function () {
  "use strict";
  var button = document.getElementById("camera-start");
  var video = document.getElementById("camera");
  var code = document.getElementById("code");
  var form = document.getElementById("form-scan");
  var status = document.getElementById("camera-status");
  if (!button || !video || !code || !form) { return; }
  var stream = null;
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var detector = ("BarcodeDetector" in window) ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
  var reader = typeof window.jsQR === "function" ? window.jsQR : null;

  function stop() {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    video.hidden = true;
  }

  function found(text) {
    stop();
    code.value = text;
    form.requestSubmit ? form.requestSubmit() : form.submit();
  }

  function readFrame() {
    canvas.width = video.videoWidth; canvas.height = video.videoHeight;
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    var frame = context.getImageData(0, 0, canvas.width, canvas.height);
    // A pass is dark on light: skipping the inverted attempt halves the work per frame.
    var found = reader(frame.data, frame.width, frame.height, { inversionAttempts: "dontInvert" });
    return found ? found.data : null;  // null: no code in this frame
  }

  function tick() {
    if (!stream) { return; }
    if (video.readyState < 2) { setTimeout(tick, 150); return; }
    if (detector) {
      detector.detect(video).then(function (codes) {
        if (codes.length) { found(codes[0].rawValue); } else { setTimeout(tick, 150); }
      }, function () { setTimeout(tick, 300); });
      return;
    }
    var text = reader ? readFrame() : null;
    if (text) { found(text); } else { setTimeout(tick, 200); }
  }

  button.addEventListener("click", function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      status.textContent = status.dataset.unavailable; return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (s) {
        stream = s; video.srcObject = s; video.hidden = false; video.play(); status.textContent = status.dataset.scanning;
        tick();
      }, function () { status.textContent = status.dataset.denied; });
  });
})();
