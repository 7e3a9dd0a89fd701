/* Searchable pickers (core.ui.widgets.RegionPicker and LookupInput; docs/registry-pages.md,
   "Pickers"). The server renders plain inputs that work without JavaScript; this file:
   - region pickers: hides the 6-digit code input and shows the search box (the division's name);
   - sends the text typed in a search box ([data-picker-search]) as `q` to the box's hx-get URL
     (htmx), from data-min-chars characters on, and shows the options it answers;
   - picking an option (click, or arrows + Enter) puts a region's code in the hidden input, or
     fills the form's fields named in a lookup option's data-fill;
   - Escape or leaving the box closes the list; a region box emptied clears the code, a region box
     holding 6 digits takes them as the code, any other unpicked text goes back to the current name.
   No inline script or handler (Content-Security-Policy). */
(function () {
  "use strict";

  // Pages without the site's <meta name="htmx-config"> (the admin, which loads htmx through the
  // widget's media): the same settings, so htmx injects no <style> and evaluates nothing (CSP).
  if (window.htmx && !document.querySelector("meta[name=htmx-config]")) {
    window.htmx.config.includeIndicatorStyles = false;
    window.htmx.config.allowEval = false;
    window.htmx.config.allowScriptTags = false;
  }

  function pickerOf(el) { return el.closest ? el.closest("[data-picker]") : null; }
  function listOf(picker) { return picker.querySelector(".picker-options"); }
  function searchOf(picker) { return picker.querySelector("[data-picker-search]"); }
  function options(list) { return Array.from(list.querySelectorAll("[role=option]")); }

  function close(picker) {
    var list = listOf(picker), search = searchOf(picker);
    list.hidden = true;
    options(list).forEach(function (o) { o.removeAttribute("aria-selected"); });
    if (search) { search.setAttribute("aria-expanded", "false"); search.removeAttribute("aria-activedescendant"); }
  }

  function open(picker) {
    var list = listOf(picker), search = searchOf(picker);
    list.hidden = !list.querySelector("li");
    if (search) search.setAttribute("aria-expanded", list.hidden ? "false" : "true");
  }

  function setRegion(picker, code, label) {
    var input = picker.querySelector(".picker-code"), search = searchOf(picker);
    var changed = input.value !== code;
    input.value = code;
    search.value = label;
    search.dataset.current = label;
    search.title = code;
    var current = picker.querySelector(".picker-current");
    if (current) { current.textContent = label; current.title = code; }
    if (changed) input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function fillForm(picker, option) {
    var form = picker.closest("form");
    var fill = JSON.parse(option.dataset.fill || "{}");
    var labels = JSON.parse(option.dataset.fillLabels || "{}");
    Object.keys(fill).forEach(function (name) {
      var field = form && form.elements[name];
      if (!field) return;
      var region = pickerOf(field);
      if (region && region.dataset.picker === "region") {
        setRegion(region, fill[name], labels[name] || fill[name]);
      } else {
        field.value = fill[name];
        field.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  }

  function pick(picker, option) {
    if (!option || !option.matches("[role=option]")) return;
    if (picker.dataset.picker === "region") {
      setRegion(picker, option.dataset.value, option.dataset.label);
    } else {
      fillForm(picker, option);
    }
    close(picker);
  }

  function move(picker, step) {
    var list = listOf(picker), all = options(list), search = searchOf(picker);
    if (!all.length) return;
    if (list.hidden) open(picker);
    var index = all.findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
    index = (index + step + all.length) % all.length;
    all.forEach(function (o, i) {
      if (!o.id) o.id = list.id + "_" + i;
      if (i === index) { o.setAttribute("aria-selected", "true"); } else { o.removeAttribute("aria-selected"); }
    });
    search.setAttribute("aria-activedescendant", all[index].id);
    all[index].scrollIntoView({ block: "nearest" });
  }

  function settle(picker) {
    // Leaving a region box without picking: empty clears, 6 digits is a code, else back to the name.
    if (picker.dataset.picker !== "region") return;
    var search = searchOf(picker), input = picker.querySelector(".picker-code");
    var text = search.value.replace(/\s+/g, "");
    if (text === "") {
      if (input.value !== "") setRegion(picker, "", "");
    } else if (/^\d{6}$/.test(text)) {
      if (text !== input.value) setRegion(picker, text, text);
    } else {
      search.value = search.dataset.current || "";
    }
  }

  function enhance(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("[data-picker=region]:not([data-ready])").forEach(function (picker) {
      var input = picker.querySelector(".picker-code"), search = searchOf(picker);
      var current = picker.querySelector(".picker-current");
      search.dataset.current = search.value;
      if (input.value) search.title = input.value;
      input.type = "hidden";
      if (current) current.hidden = true;
      search.hidden = false;
      var label = document.querySelector("label[for='" + input.id + "']");
      if (label) label.htmlFor = search.id;
      picker.dataset.ready = "";
    });
  }

  // htmx sends the search text as `q` (the box has no name, or the form field's own name).
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || !elt.matches || !elt.matches("[data-picker-search]")) return;
    var text = elt.value.trim();
    var picker = pickerOf(elt);
    if (text.length < parseInt(elt.dataset.minChars || "1", 10)) {
      event.preventDefault();
      if (picker) { listOf(picker).innerHTML = ""; close(picker); }
      return;
    }
    var params = event.detail.parameters;
    if (params.delete) {
      Array.from(params.keys()).forEach(function (k) { params.delete(k); });
      params.set("q", text);
    } else {
      Object.keys(params).forEach(function (k) { delete params[k]; });
      params.q = text;
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.classList && target.classList.contains("picker-options")) {
      var picker = pickerOf(target);
      if (picker && document.activeElement === searchOf(picker)) { open(picker); } else if (picker) { close(picker); }
    }
  });

  // mousedown, so the pick happens before the box loses focus
  document.addEventListener("mousedown", function (event) {
    var option = event.target.closest && event.target.closest(".picker-options [role=option]");
    if (!option) return;
    event.preventDefault();
    pick(pickerOf(option), option);
  });

  document.addEventListener("keydown", function (event) {
    var el = event.target;
    if (!el.matches || !el.matches("[data-picker-search]")) return;
    var picker = pickerOf(el);
    var list = listOf(picker);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      move(picker, event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter" && !list.hidden) {
      var active = list.querySelector("[aria-selected=true]") || options(list)[0];
      if (active) { event.preventDefault(); pick(picker, active); }
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      close(picker);
    }
  });

  document.addEventListener("focusout", function (event) {
    var el = event.target;
    if (!el.matches || !el.matches("[data-picker-search]")) return;
    var picker = pickerOf(el);
    close(picker);
    settle(picker);
  });

  // A search box's own change events are not the form's (a filter form submits on change).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-picker=region] [data-picker-search]")) event.stopPropagation();
  }, true);

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  } else {
    enhance(document);
  }
  document.addEventListener("htmx:load", function (event) { enhance(event.detail.elt || document); });
})();
