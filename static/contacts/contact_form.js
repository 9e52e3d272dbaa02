// The agent's contact screen: type-ahead reason search, cascading reason selects,
// caller search with recent contacts, and a call timer. No state outlives the page.
(function () {
  "use strict";
  var form = document.getElementById("contact-form");
  if (!form) { return; }

  var reasonSelect = form.querySelector("select[name=reason]");
  var complaintId = form.getAttribute("data-complaint-id");
  var feedbackId = form.getAttribute("data-feedback-id");
  var nodes = {};
  var childrenOf = {};

  // Nothing from an earlier caller may come back from the browser's page cache.
  window.addEventListener("pageshow", function (event) { if (event.persisted) { window.location.reload(); } });

  form.querySelectorAll(".js-only").forEach(function (el) { el.classList.remove("d-none"); });
  document.getElementById("reason-field").classList.add("visually-hidden");

  // ---- call timer --------------------------------------------------------
  var started = Date.now();
  var timerEl = document.querySelector("[data-timer]");
  function elapsed() {
    var s = Math.floor((Date.now() - started) / 1000);
    var m = Math.floor(s / 60);
    s = s % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }
  setInterval(function () { if (timerEl) { timerEl.textContent = elapsed(); } }, 1000);
  form.addEventListener("submit", function () {
    var duration = form.querySelector("input[name=duration]");
    if (duration && !duration.value) { duration.value = elapsed(); }
  });

  // ---- helpers -------------------------------------------------------------
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text) { e.textContent = text; }
    return e;
  }
  function debounce(fn, ms) {
    var t;
    return function () { var args = arguments; clearTimeout(t); t = setTimeout(function () { fn.apply(null, args); }, ms); };
  }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } }).then(function (r) { return r.json(); });
  }

  // A keyboard-driven listbox under a search input.
  function listbox(input, list, onPick) {
    var items = [];
    var active = -1;
    function setActive(i) {
      active = i;
      Array.prototype.forEach.call(list.children, function (li, j) {
        li.classList.toggle("active", j === i);
        li.setAttribute("aria-selected", j === i ? "true" : "false");
      });
      if (i >= 0 && list.children[i]) {
        input.setAttribute("aria-activedescendant", list.children[i].id);
        list.children[i].scrollIntoView({ block: "nearest" });
      }
    }
    function close() { list.classList.add("d-none"); input.setAttribute("aria-expanded", "false"); }
    function show(results, render) {
      items = results;
      list.textContent = "";
      results.forEach(function (item, i) {
        var li = el("li", "list-group-item list-group-item-action");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        render(li, item);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); onPick(item); close(); });
        list.appendChild(li);
      });
      if (results.length) {
        list.classList.remove("d-none");
        input.setAttribute("aria-expanded", "true");
        setActive(0);
      } else {
        close();
      }
    }
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" && items.length) { e.preventDefault(); setActive(Math.min(active + 1, items.length - 1)); }
      else if (e.key === "ArrowUp" && items.length) { e.preventDefault(); setActive(Math.max(active - 1, 0)); }
      else if (e.key === "Enter") {
        // Enter picks; it never submits the form from a search box.
        e.preventDefault();
        if (items.length && active >= 0 && !list.classList.contains("d-none")) { onPick(items[active]); close(); }
      } else if (e.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
    return { show: show, close: close, isEmpty: function () { return !items.length; } };
  }

  // ---- reasons -------------------------------------------------------------
  var levelSelects = [1, 2, 3].map(function (l) { return document.getElementById("reason-l" + l); });
  var chosen = document.getElementById("reason-chosen");
  var complaintBlock = document.getElementById("complaint-block");
  var actionSelect = form.querySelector("select[name=action_taken]");

  function fillSelect(select, parentId, selectedId) {
    select.textContent = "";
    var kids = childrenOf[parentId === null ? "root" : parentId] || [];
    if (!kids.length) { select.disabled = true; return; }
    select.disabled = false;
    var placeholder = el("option", "", "—");
    placeholder.value = "";
    select.appendChild(placeholder);
    kids.forEach(function (n) {
      var o = el("option", "", n.label + (n.leaf ? "" : " ›"));
      o.value = n.id;
      if (String(n.id) === String(selectedId)) { o.selected = true; }
      select.appendChild(o);
    });
  }
  function ancestry(id) {
    var chain = [];
    var n = nodes[id];
    while (n) { chain.unshift(n); n = nodes[n.parent]; }
    return chain;
  }
  function showChosen(node) {
    if (!node) { chosen.classList.add("d-none"); return; }
    chosen.querySelector("[data-path]").textContent = ancestry(node.id).map(function (n) { return n.label; }).join(" › ");
    chosen.querySelector("[data-definition]").textContent = node.definition || "";
    chosen.classList.remove("d-none");
    chosen.classList.toggle("is-leaf", !!node.leaf);
  }
  function updateComplaint() {
    var id = reasonSelect.value;
    complaintBlock.classList.toggle("d-none", !(complaintId && id === String(complaintId)));
    var node = nodes[id];
    if (node && feedbackId && String(node.parent) === String(feedbackId) && actionSelect && !actionSelect.value) {
      actionSelect.value = "feedback_recorded";
    }
  }
  function select(id, focusNext) {
    var chain = ancestry(id);
    fillSelect(levelSelects[0], null, chain[0] && chain[0].id);
    for (var i = 1; i < 3; i++) {
      if (chain[i - 1]) { fillSelect(levelSelects[i], chain[i - 1].id, chain[i] && chain[i].id); }
      else { levelSelects[i].textContent = ""; levelSelects[i].disabled = true; }
    }
    var node = nodes[id];
    reasonSelect.value = node && node.leaf ? String(id) : "";
    showChosen(node);
    updateComplaint();
    if (!focusNext) { return; }
    if (node && node.leaf) {
      var next = complaintBlock.classList.contains("d-none") ? form.querySelector("input[name=product]") : complaintBlock.querySelector("textarea");
      if (next) { next.focus(); }
    } else if (node) {
      levelSelects[Math.min(node.level, 2)].focus();
    }
  }
  levelSelects.forEach(function (s) {
    s.addEventListener("change", function () {
      if (s.value) { select(s.value, false); }
      else {
        var level = parseInt(s.getAttribute("data-level"), 10);
        var parent = level > 1 ? levelSelects[level - 2].value : "";
        if (parent) { select(parent, false); } else { reasonSelect.value = ""; showChosen(null); fillSelect(levelSelects[0], null, null); }
      }
    });
  });

  var search = document.getElementById("reason-search");
  // The search box was hidden until now, so the browser could not honour autofocus.
  search.focus();
  var reasonList = listbox(search, document.getElementById("reason-results"), function (item) {
    search.value = "";
    select(item.id, true);
  });
  var runSearch = debounce(function () {
    var q = search.value.trim();
    if (!q) { reasonList.close(); return; }
    getJSON(form.getAttribute("data-search-url") + "?q=" + encodeURIComponent(q)).then(function (data) {
      if (search.value.trim() !== q) { return; }
      reasonList.show(data.results, function (li, r) {
        var path = el("div", "reason-path");
        r.path.forEach(function (part, i) {
          if (i) { path.appendChild(el("span", "sep", " › ")); }
          path.appendChild(el(i === r.path.length - 1 ? "strong" : "span", "", part));
        });
        if (!r.leaf) { path.appendChild(el("span", "badge text-bg-light border ms-2", "…")); }
        li.appendChild(path);
        if (r.definition) { li.appendChild(el("div", "small text-body-secondary", r.definition)); }
      });
    });
  }, 60);
  search.addEventListener("input", runSearch);

  getJSON(form.getAttribute("data-tree-url")).then(function (data) {
    data.nodes.forEach(function (n) {
      nodes[n.id] = n;
      var key = n.parent === null ? "root" : n.parent;
      (childrenOf[key] = childrenOf[key] || []).push(n);
    });
    if (reasonSelect.value) { select(reasonSelect.value, false); }
    else { fillSelect(levelSelects[0], null, null); updateComplaint(); }
  });
  reasonSelect.addEventListener("change", updateComplaint);

  // ---- caller --------------------------------------------------------------
  var modeInputs = form.querySelectorAll("input[name=caller_mode]");
  var callerHidden = form.querySelector("input[name=caller]");
  var callerSearch = document.getElementById("caller-search");
  var callerChosen = document.getElementById("caller-chosen");
  var recent = document.getElementById("caller-recent");
  function currentMode() {
    var m = "registered";
    modeInputs.forEach(function (i) { if (i.checked) { m = i.value; } });
    return m;
  }
  function showMode() {
    var mode = currentMode();
    form.querySelectorAll("[data-mode]").forEach(function (part) {
      part.classList.toggle("d-none", part.getAttribute("data-mode") !== mode);
    });
  }
  modeInputs.forEach(function (i) { i.addEventListener("change", showMode); });
  showMode();

  function pickCaller(c) {
    callerHidden.value = c.id;
    callerSearch.value = "";
    callerSearch.classList.add("d-none");
    callerChosen.querySelector("[data-name]").textContent = c.name + (c.company ? " · " + c.company : "") + (c.email ? " · " + c.email : "") + (c.phone ? " · " + c.phone : "");
    callerChosen.classList.remove("d-none");
    var url = form.getAttribute("data-recent-url").replace("/0/", "/" + encodeURIComponent(c.id) + "/");
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
      if (String(callerHidden.value) === String(c.id)) { recent.innerHTML = html; }
    });
  }
  callerChosen.querySelector("[data-caller-clear]").addEventListener("click", function () {
    callerHidden.value = "";
    recent.textContent = "";
    callerChosen.classList.add("d-none");
    callerSearch.classList.remove("d-none");
    callerSearch.focus();
  });
  if (callerHidden.value) { callerSearch.classList.add("d-none"); }
  var callerList = listbox(callerSearch, document.getElementById("caller-results"), pickCaller);
  var runCallerSearch = debounce(function () {
    var q = callerSearch.value.trim();
    if (q.length < 2) { callerList.close(); return; }
    getJSON(form.getAttribute("data-caller-url") + "?q=" + encodeURIComponent(q)).then(function (data) {
      if (callerSearch.value.trim() !== q) { return; }
      callerList.show(data.results, function (li, c) {
        li.appendChild(el("div", "fw-semibold", c.name + (c.company ? " · " + c.company : "")));
        li.appendChild(el("div", "small text-body-secondary", [c.email, c.phone].filter(Boolean).join(" · ")));
      });
    });
  }, 120);
  callerSearch.addEventListener("input", runCallerSearch);
})();
