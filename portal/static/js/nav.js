// The top bar's section menus (<details class="navgroup">) open and close without this;
// it closes an open one when the user clicks elsewhere or presses Escape.
(function () {
  "use strict";
  function closeAll(except) {
    document.querySelectorAll("details.navgroup[open]").forEach(function (menu) {
      if (menu !== except) menu.removeAttribute("open");
    });
  }
  document.addEventListener("click", function (event) {
    closeAll(event.target.closest("details.navgroup"));
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closeAll(null);
  });
})();
