// Optional progressive enhancement: the page works fully without this file.
// - selects marked data-autosubmit submit their form on change;
// - empty or default fields are left out of the URL, so it stays short and shareable;
// - "/" focuses the search box;
// - the search box suggests completions while typing (/api/suggest), as an ARIA 1.2
//   combobox: Down/Up move through the list, Enter takes the highlighted one and
//   searches, Escape closes the list; a click takes one too.
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
  var box = document.getElementById("q");
  var list = document.getElementById("q-suggestions");
  if (box && list && window.fetch) { combobox(box, list); }

  function combobox(input, listbox) {
    var active = -1, timer = 0, shown = "", pending = null;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", listbox.id);
    input.setAttribute("aria-expanded", "false");

    function options() { return listbox.querySelectorAll("[role=option]"); }
    function close() {
      // a keystroke's request still on its way must not reopen a list the user closed
      clearTimeout(timer);
      if (pending && pending.abort) { pending.abort(); }
      pending = null;
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function highlight(n) {
      var items = options();
      if (!items.length) { return; }
      active = (n + items.length) % items.length;
      items.forEach(function (item, i) { item.setAttribute("aria-selected", i === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", items[active].id);
      items[active].scrollIntoView({ block: "nearest" });
    }
    function choose(text) {
      input.value = text;
      close();
      var form = input.form;
      if (form) { if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); } }
    }
    function show(typed, found) {
      if (typed !== input.value) { return; }  // an answer to an older keystroke
      listbox.textContent = "";
      found.forEach(function (text, i) {
        var item = document.createElement("li");
        item.id = listbox.id + "-" + i;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.dir = "auto";
        item.textContent = text;  // text, never HTML
        item.addEventListener("mousedown", function (event) { event.preventDefault(); });
        item.addEventListener("click", function () { choose(text); });
        listbox.appendChild(item);
      });
      shown = typed;
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (found.length) {
        listbox.hidden = false;
        input.setAttribute("aria-expanded", "true");
      } else {
        close();
      }
    }
    function ask() {
      var typed = input.value;
      if (!typed.trim() || typed.length > 200) { close(); return; }
      if (pending && pending.abort) { pending.abort(); }
      pending = window.AbortController ? new AbortController() : null;
      fetch("/api/suggest?q=" + encodeURIComponent(typed), {
        headers: { Accept: "application/x-suggestions+json" },
        signal: pending ? pending.signal : undefined
      }).then(function (response) {
        return response.ok ? response.json() : [typed, []];
      }).then(function (data) {
        show(typed, Array.isArray(data) && Array.isArray(data[1]) ? data[1] : []);
      }).catch(function () { /* aborted or offline: no suggestions, the search still works */ });
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 60);
    });
    input.addEventListener("keydown", function (event) {
      var open = !listbox.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!open) {
          if (shown === input.value && options().length) {
            listbox.hidden = false;
            input.setAttribute("aria-expanded", "true");
          } else { ask(); }
          event.preventDefault();
          return;
        }
        event.preventDefault();
        var down = event.key === "ArrowDown";
        highlight(active < 0 ? (down ? 0 : -1) : active + (down ? 1 : -1));
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault();
        choose(options()[active].textContent);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();  // the browser would also clear a type=search box
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 0); });
  }
})();
