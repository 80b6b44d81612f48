// Optional progressive enhancement: the page works fully without this file.
// - selects marked data-autosubmit submit their form on change;
// - empty or default fields are left out of the URL, so it stays short and shareable;
// - "/" focuses the search box.
(function () {
  "use strict";
  var defaults = { sort: "relevance", cross: "true" };
  document.querySelectorAll("form.search-form").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("input[name], select[name]").forEach(function (field) {
        if (field.value === "" || defaults[field.name] === field.value) { field.disabled = true; }
      });
      // re-enable after navigation starts, so the back button shows the form intact
      setTimeout(function () {
        form.querySelectorAll("[disabled]").forEach(function (f) { f.disabled = false; });
      }, 0);
    });
  });
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      var form = select.form;
      if (!form) { return; }
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    });
  });
  document.addEventListener("keydown", function (event) {
    var box = document.getElementById("q");
    var tag = event.target && event.target.tagName;
    var typing = tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
    if (event.key === "/" && box && !typing) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });
})();
