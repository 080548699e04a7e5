// Live progress: while an operation runs, fetch its part of the page again every
// 1.5 s and put it in place; when it finishes, reload once so that the states and
// actions around it are current too.
(function () {
  "use strict";
  var INTERVAL = 1500;

  function watch(box) {
    if (box.getAttribute("data-finished") === "1") { return; }
    var url = box.getAttribute("data-progress-url");
    window.setTimeout(function () {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) {
          if (!response.ok) { throw new Error(response.status); }
          return response.text();
        })
        .then(function (html) {
          var holder = document.createElement("div");
          holder.innerHTML = html;
          var fresh = holder.querySelector(".progress");
          box.replaceWith(fresh);
          if (fresh.getAttribute("data-finished") === "1") {
            window.location.reload();
          } else {
            watch(fresh);
          }
        })
        .catch(function () { watch(box); });
    }, INTERVAL);
  }

  document.querySelectorAll(".progress[data-progress-url]").forEach(watch);
  document.querySelectorAll("button[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
}());
