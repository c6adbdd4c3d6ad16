// Progressive enhancement only: every page works without this file.
"use strict";
(function () {
  // A filter box over a long table of children (a desa can have hundreds of TPS).
  var box = document.querySelector("input[data-filter]");
  var table = document.getElementById("children");
  if (!box || !table) { return; }
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  if (rows.length < 10) { return; }
  box.parentNode.hidden = false;
  box.addEventListener("input", function () {
    var wanted = box.value.trim().toLowerCase().replace(/\./g, "");
    rows.forEach(function (row) {
      var text = (row.getAttribute("data-code") + " " + row.textContent).toLowerCase();
      row.hidden = wanted !== "" && text.indexOf(wanted) < 0;
    });
  });
})();
