// Installs the service worker (pages and assets for offline work) and forgets cached pages on sign-out.
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) { return; }
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function (error) {
    console.warn("service worker not installed:", error);
  });
  // Signed in now: the outbox and the offline form must open offline later, even if never visited.
  navigator.serviceWorker.ready.then(function (registration) {
    if (registration.active) { registration.active.postMessage("keep-pages"); }
  });
  var logout = document.getElementById("logout-form");
  if (logout) {
    logout.addEventListener("submit", function () {
      // Pages hold this user's data; the outbox keeps unsent work (each item names its user).
      if (window.caches) { caches.delete("pages-v1"); }
    });
  }
})();
