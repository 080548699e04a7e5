// The order form: show only the fields whose conditions hold, and preview the
// quota the request will take and its monthly price (computed by the server).
(function () {
  "use strict";
  var form = document.getElementById("order-form");
  if (!form) { return; }

  function valueOf(name) {
    var input = form.elements[name];
    if (!input) { return undefined; }
    if (input.type === "checkbox") { return input.checked; }
    return input.value;
  }

  function applyConditions() {
    form.querySelectorAll("[data-when]").forEach(function (box) {
      var when = JSON.parse(box.getAttribute("data-when"));
      var shown = Object.keys(when).every(function (name) {
        var wanted = Array.isArray(when[name]) ? when[name] : [when[name]];
        return wanted.map(String).indexOf(String(valueOf(name))) >= 0;
      });
      box.hidden = !shown;
      box.querySelectorAll("input, select, textarea").forEach(function (el) { el.disabled = !shown; });
    });
  }

  var table = document.getElementById("quota-table");
  var note = document.getElementById("quota-note");
  var pending = null;

  var price = document.getElementById("order-price");

  function showQuote(data) {
    if (price) {
      price.textContent = data.monthly_price === null ? price.getAttribute("data-none") : data.monthly_price;
    }
    if (!table) { return; }
    var over = false;
    table.querySelectorAll("tr[data-resource]").forEach(function (row) {
      var resource = row.getAttribute("data-resource");
      var cost = data.cost ? data.cost[resource] : null;
      var left = row.getAttribute("data-remaining");
      row.querySelector(".cost").textContent = cost === null || cost === undefined ? "—" : cost;
      var after = row.querySelector(".after");
      if (left === "" || cost === null || cost === undefined) {
        after.textContent = "—";
        row.classList.remove("over");
      } else {
        var rest = Number(left) - cost;
        after.textContent = rest;
        row.classList.toggle("over", rest < 0);
        over = over || rest < 0;
      }
    });
    note.textContent = over ? note.getAttribute("data-over") : "";
  }

  function requestQuote() {
    var params = new URLSearchParams();
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.type === "hidden" || el.type === "submit") { return; }
      if (el.type === "checkbox") { params.append(el.name, el.checked ? "true" : "false"); return; }
      params.append(el.name, el.value);
    });
    fetch(form.getAttribute("data-quote-url") + "?" + params.toString(), {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { showQuote(data); } })
      .catch(function () { /* the preview is a convenience; the server checks on submit */ });
  }

  function changed() {
    applyConditions();
    clearTimeout(pending);
    pending = setTimeout(requestQuote, 250);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  applyConditions();
  requestQuote();
})();
