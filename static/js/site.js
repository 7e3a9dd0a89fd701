/* Behaviour shared by every page, kept out of the HTML so that the Content-Security-Policy can
   refuse inline scripts and inline event handlers:
   - <select data-autosubmit>: submits its form on change (the language switcher);
   - <a data-keep-query>: on click, takes the current address's query string (htmx updates the
     address without reloading, so the href rendered with the page may be stale);
   - <form data-drop-empty> sent by htmx: empty fields are left out of the request (and so of the
     pushed address). */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("select[data-autosubmit]") && el.form) el.form.submit();
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-keep-query]");
    if (link) link.search = window.location.search;
  });
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || !elt.matches || !elt.matches("form[data-drop-empty]")) return;
    var params = event.detail.parameters;
    var entries = Array.from(params.entries ? params.entries() : Object.entries(params));
    entries.forEach(function (entry) {
      if (entry[1] !== "") return;
      if (params.delete) { params.delete(entry[0]); } else { delete params[entry[0]]; }
    });
  });
})();
