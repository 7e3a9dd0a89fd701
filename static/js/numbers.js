/* The number conventions on the chart side (docs/numbers.md), the same as core/numbers.py: every
   chart writes its values, labels, tooltips and axis ticks with these functions. The unit words
   come from the server with the chart (core.numbers.chart_unit: caption, pattern, decimals), so
   this file holds no language of its own.

     LnNumbers.number(62313.8, 2)              "62,313.80"
     LnNumbers.withUnit(62313.8, unit)         "62,313.80 万元" / "62,313.80 × 10,000 yuan"
     LnNumbers.axis(20000)                     "20,000" (axis ticks: no decimals unless needed)

   Rounding is half away from zero on the decimal text of the value (not Number.toFixed, which
   rounds the binary float: 1.005 -> "1.00"); grouping is by thousands with "," in every language
   (not toLocaleString, which follows the browser). Loaded by a <script> tag (window.LnNumbers)
   or by require() in the tests (tests/test_numbers.py runs it with node). */
(function (root, factory) {
  "use strict";
  if (typeof module === "object" && module.exports) module.exports = factory();
  else root.LnNumbers = factory();
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";
  var DASH = "\u2014";

  function missing(value) {
    return value === null || value === undefined || value === "" || (typeof value === "number" && isNaN(value));
  }

  // Round |value| half up at `places` decimals, working on its decimal text (exponent shift).
  function roundedText(value, places) {
    var n = Number(value);
    var negative = n < 0;
    var abs = String(Math.abs(n));
    // The decimal text shifted by `places` ("1.005e2" is exactly 100.5); values written with an
    // exponent already (below 1e-6 or above 1e21) are shifted by multiplication.
    var shifted = Math.round(abs.indexOf("e") < 0 ? Number(abs + "e" + places) : Number(abs) * Math.pow(10, places));
    var text = String(shifted);
    if (places > 0) {
      while (text.length <= places) text = "0" + text;
      text = text.slice(0, text.length - places) + "." + text.slice(text.length - places);
    }
    var isZero = /^[0.]*$/.test(text);
    return (negative && !isZero ? "-" : "") + text;
  }

  function group(text) {
    var sign = text.charAt(0) === "-" ? "-" : "";
    var body = sign ? text.slice(1) : text;
    var parts = body.split(".");
    parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return sign + parts.join(".");
  }

  function number(value, places) {
    if (missing(value)) return DASH;
    return group(roundedText(value, places || 0));
  }

  // A value in a chart's unit followed by the unit: unit = {pattern: "{value} 万元", decimals: 2}
  // (and one: the pattern when the value shown is exactly 1, "{value} contract"). A series sent
  // without its unit is written as an axis tick (grouped, its own decimals up to two).
  function withUnit(value, unit) {
    if (missing(value)) return DASH;
    if (!unit) return axis(value);
    var text = number(value, unit.decimals);
    var pattern = unit.one && Number(text.replace(/,/g, "")) === 1 ? unit.one : unit.pattern;
    return pattern.replace("{value}", text);
  }

  // An axis tick: grouped, with decimals only when the tick has them (at most two).
  function axis(value) {
    if (missing(value)) return "";
    var text = roundedText(value, 2).replace(/0+$/, "").replace(/\.$/, "");
    return group(text);
  }

  // A share out of 100 (ECharts' pie percent) with one decimal: 12.345 -> "12.3%".
  function share(percentValue) {
    if (missing(percentValue)) return DASH;
    return number(percentValue, 1) + "%";
  }

  return { DASH: DASH, number: number, withUnit: withUnit, axis: axis, share: share };
});
