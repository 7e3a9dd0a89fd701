/* Import job page: while the job runs, poll its status URL (data-status-url on #import-progress)
   every second, update the bar, and reload the page once the job has finished. */
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box) return;
  var url = box.dataset.statusUrl;
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        document.getElementById("import-bar").value = s.progress;
        document.getElementById("import-percent").textContent = s.progress + "%";
        document.getElementById("import-status").textContent = s.status_label;
        if (s.running) { setTimeout(poll, 1000); } else { window.location.reload(); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
