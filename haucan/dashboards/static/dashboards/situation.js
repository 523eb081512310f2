// The situation board on the wall reloads itself every data-refresh seconds.
(function () {
  "use strict";
  var board = document.getElementById("hc-situation");
  if (!board || board.dataset.wall !== "1") return;
  var seconds = parseInt(board.dataset.refresh, 10) || 60;
  window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
})();
