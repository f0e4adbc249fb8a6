// pmkv console: progressive enhancement only; every page works without this file.
(function () {
  "use strict";
  // "select all shown" checkbox of the stories table
  var all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll('input[name="sel"]').forEach(function (box) { box.checked = all.checked; });
    });
  }
  // bulk action: show only the values that fit the chosen action
  var action = document.getElementById("bulk-action");
  var value = document.getElementById("bulk-value");
  if (action && value) {
    var groups = { status: "status", priority: "priority", manager: "manager", move: "epic" };
    var sync = function () {
      var wanted = groups[action.value];
      value.disabled = !wanted;
      var first = null;
      value.querySelectorAll("optgroup").forEach(function (g) {
        var show = g.label === wanted;
        g.hidden = !show;
        g.disabled = !show;
        if (show && !first && g.querySelector("option")) { first = g.querySelector("option"); }
      });
      var current = value.selectedOptions[0];
      if (first && (!current || current.parentElement.label !== wanted)) { first.selected = true; }
    };
    action.addEventListener("change", sync);
    sync();
  }
  // confirm destructive buttons
  document.querySelectorAll("[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
