// The print button of a report's printable page (no inline script: CSP).
document.addEventListener("DOMContentLoaded", function () {
  var button = document.querySelector("[data-action=print]");
  if (button) {
    button.addEventListener("click", function () { window.print(); });
  }
});
