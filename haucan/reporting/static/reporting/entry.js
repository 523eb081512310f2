// The data-entry grid: keyboard moves, live totals, and an autosave queue that never loses a value.
//
// Every edit goes into a queue persisted in localStorage before anything is sent, so a dropped
// connection, a server error or a closed tab only delays it. The queue is sent in order, one request
// at a time carrying everything queued so far; a cell keeps the version it was read at, so an edit made on a stale page comes back as
// a conflict (409) instead of silently overwriting someone else's value.
(function () {
  "use strict";

  var root = document.getElementById("hc-entry");
  var configNode = document.getElementById("hc-entry-config");
  if (!root || !configNode) return;
  var config = JSON.parse(configNode.textContent);
  var T = JSON.parse(document.getElementById("hc-entry-strings").textContent);
  var storageKey = ["haucan.entry", config.user, config.ds, config.ou, config.pe].join("|");
  var queueBadge = document.getElementById("hc-queue");
  var grid = document.getElementById("hc-grid");
  var panel = document.getElementById("hc-panel");
  var panelBody = document.getElementById("hc-panel-body");

  var queue = load();
  var sending = false;
  var offline = false;
  var retryDelay = 1000;
  var retryTimer = null;
  var lastCell = null;

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, k) { return values[k] == null ? "" : String(values[k]); });
  }

  // --- numbers: "1234,5" in cells; totals as "1.234,5" ------------------------------------------
  function parseNumber(text) {
    var t = String(text || "").trim().replace(",", ".");
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t)) return null;
    return parseFloat(t);
  }
  function formatNumber(n) {
    var rounded = Math.round(n * 1e6) / 1e6;
    var parts = Math.abs(rounded).toString().split(".");
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ".");
    return (rounded < 0 ? "-" : "") + whole + (parts[1] ? "," + parts[1] : "");
  }

  // --- cells --------------------------------------------------------------------------------------
  function cellKey(de, coc) { return de + "/" + coc; }
  function cellOf(de, coc) {
    return grid.querySelector('.hc-cell[data-de="' + de + '"][data-coc="' + coc + '"]');
  }
  function cells() { return Array.prototype.slice.call(grid.querySelectorAll(".hc-cell")); }
  function msgOf(cell) { return cell.parentElement.querySelector(".hc-cell-msg"); }
  function setState(cell, state, message) {
    if (!cell) return;
    cell.dataset.state = state;
    var box = msgOf(cell);
    if (state === "error") { box.textContent = message || T.error; cell.title = message || ""; }
    else if (state !== "conflict") { box.textContent = ""; cell.removeAttribute("title"); }
  }

  function recomputeTotals() {
    grid.querySelectorAll("table.hc-table").forEach(function (table) {
      var colTotals = {}, colSeen = {}, grand = 0, grandSeen = false;
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        if (tr.dataset.numeric !== "1") return;
        var rowTotal = 0, rowSeen = false;
        tr.querySelectorAll("td.hc-td").forEach(function (td, index) {
          var input = td.querySelector(".hc-cell");
          var n = input ? parseNumber(input.value) : null;
          if (n === null) return;
          rowTotal += n; rowSeen = true;
          colTotals[index] = (colTotals[index] || 0) + n; colSeen[index] = true;
        });
        var out = tr.querySelector("[data-row-total]");
        if (out) out.textContent = rowSeen ? formatNumber(rowTotal) : "";
        if (rowSeen) { grand += rowTotal; grandSeen = true; }
      });
      table.querySelectorAll("[data-col-total]").forEach(function (td) {
        var i = td.dataset.colTotal;
        td.textContent = colSeen[i] ? formatNumber(colTotals[i]) : "";
      });
      var g = table.querySelector("[data-grand-total]");
      if (g) g.textContent = grandSeen ? formatNumber(grand) : "";
    });
  }

  // --- the queue ------------------------------------------------------------------------------------
  function load() {
    try { return JSON.parse(localStorage.getItem(storageKey) || "[]"); } catch (e) { return []; }
  }
  function persist() {
    try { localStorage.setItem(storageKey, JSON.stringify(queue)); } catch (e) { /* full: keep in memory */ }
    showQueue();
  }
  function showQueue() {
    var waiting = queue.filter(function (i) { return !i.conflict; }).length;
    queueBadge.dataset.pending = String(waiting);
    queueBadge.dataset.offline = offline && waiting ? "1" : "0";
    queueBadge.textContent = !waiting ? T.all_saved
      : fmt(offline ? T.pending : T.pending_online, { n: waiting });
  }

  function enqueue(cell, extra) {
    var de = cell.dataset.de, coc = cell.dataset.coc;
    var item = null;
    // Coalesce with a queued, not yet sent edit of the same cell: it keeps the version read first.
    for (var i = queue.length - 1; i >= 0; i--) {
      var q = queue[i];
      if (q.de === de && q.coc === coc && !q.inflight && !q.conflict) { item = q; break; }
    }
    if (!item) {
      item = { id: Date.now() + "-" + Math.random().toString(36).slice(2), de: de, coc: coc,
               version: cell.dataset.version };
      queue.push(item);
    }
    item.value = cell.value;
    if (extra && extra.comment != null) item.comment = extra.comment;
    persist();
    setState(cell, "queued");
    pump();
  }

  // Everything queued goes in one request (at most BATCH cells, one item per cell: a later edit
  // of a cell waits for the earlier one's answer, which gives it its version), so a fast typist
  // or a slow server makes fewer, larger requests instead of a long line of small ones.
  var BATCH = 100;
  function nextBatch() {
    var batch = [], taken = {};
    for (var i = 0; i < queue.length && batch.length < BATCH; i++) {
      var item = queue[i], key = cellKey(item.de, item.coc);
      if (item.conflict || taken[key]) continue;
      taken[key] = true;
      batch.push(item);
    }
    return batch;
  }

  function pump() {
    if (sending) return;
    var batch = nextBatch();
    if (!batch.length) { offline = false; showQueue(); return; }
    sending = true;
    var body = { ds: config.ds, ou: config.ou, pe: config.pe, cells: batch.map(function (item) {
      item.inflight = true;
      setState(cellOf(item.de, item.coc), "saving");
      var c = { de: item.de, coc: item.coc, value: item.value, version: item.version };
      if (item.comment != null) c.comment = item.comment;
      return c;
    }) };
    fetch(config.urls.save, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": config.csrf, "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (response.redirected || !json) throw { session: true };
      if (response.status >= 500) throw { server: true };
      return response.json().then(function (data) {
        batch.forEach(function (item, i) {
          // A refusal of the whole request (a submitted report, a unit out of scope) is each cell's.
          var one = data.ok && data.results ? data.results[i] : data;
          settle(item, cellOf(item.de, item.coc), one && one.ok ? 200 : response.status, one || {});
        });
        persist();
      });
    }).catch(function (problem) {
      batch.forEach(function (item) {
        if (!item.inflight) return;  // already settled before the problem
        item.inflight = false;
        setState(cellOf(item.de, item.coc), "queued");
      });
      offline = true;
      persist();
      if (problem && problem.session) queueBadge.textContent = T.session;
      scheduleRetry();
    }).finally(function () {
      sending = false;
      if (!retryTimer) pump();
    });
  }

  function remove(item) {
    queue = queue.filter(function (i) { return i.id !== item.id; });
  }

  function settle(item, cell, status, data) {
    item.inflight = false;
    offline = false;
    retryDelay = 1000;
    if (status === 200 && data.ok) {
      remove(item);
      // Later edits of this cell were made on top of the value just saved.
      queue.forEach(function (q) { if (q.de === item.de && q.coc === item.coc) q.version = data.version; });
      if (cell) {
        cell.dataset.version = data.version;
        var later = queue.some(function (q) { return q.de === item.de && q.coc === item.coc; });
        if (!later && cell.value === item.value && document.activeElement !== cell) cell.value = data.value;
        cell.classList.toggle("hc-has-comment", !!data.comment);
        setState(cell, later ? "queued" : "saved");
      }
      recomputeTotals();
    } else if (data.conflict) {
      item.conflict = data.conflict;
      showConflict(item, cell);
    } else {
      // A refused value (bad number, submitted report, unit out of scope): retrying cannot help.
      remove(item);
      setState(cell, "error", data.error);
    }
  }

  function scheduleRetry() {
    if (retryTimer) return;
    retryTimer = setTimeout(function () { retryTimer = null; pump(); }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30000);
  }
  function retryNow() {
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
    retryDelay = 1000;
    pump();
  }
  window.addEventListener("online", retryNow);
  // Exposed for tests and for the "retry" button of an impatient clerk.
  window.hcEntry = { retry: retryNow, pending: function () { return queue.length; } };

  function showConflict(item, cell) {
    if (!cell) return;
    setState(cell, "conflict");
    var c = item.conflict;
    var box = msgOf(cell);
    box.textContent = "";
    var text = document.createElement("div");
    text.className = "hc-conflict";
    text.textContent = fmt(T.conflict, { user: c.stored_by, server: c.server_value || T.empty,
                                          yours: c.your_value || T.empty });
    var keep = document.createElement("button");
    keep.type = "button"; keep.className = "btn btn-outline-secondary"; keep.dataset.action = "keep-server";
    keep.textContent = T.keep_server;
    var mine = document.createElement("button");
    mine.type = "button"; mine.className = "btn btn-outline-danger"; mine.dataset.action = "overwrite";
    mine.textContent = T.overwrite;
    box.append(text, keep, mine);
    keep.addEventListener("click", function () {
      remove(item); persist();
      cell.value = c.server_value; cell.dataset.version = c.server_version;
      setState(cell, "saved"); recomputeTotals();
    });
    mine.addEventListener("click", function () {
      item.version = c.server_version; delete item.conflict; persist();
      cell.dataset.version = c.server_version;
      setState(cell, "queued"); pump();
    });
  }

  // --- edits ----------------------------------------------------------------------------------------
  grid.addEventListener("change", function (event) {
    var cell = event.target.closest(".hc-cell");
    if (cell && !cell.readOnly && !cell.disabled) enqueue(cell);
  });
  grid.addEventListener("input", function (event) {
    if (event.target.closest(".hc-cell")) recomputeTotals();
  });
  grid.addEventListener("focusin", function (event) {
    var cell = event.target.closest(".hc-cell");
    if (cell) lastCell = cell;
  });

  // --- keyboard: Enter moves down (or on), arrows move between cells ----------------------------
  function move(cell, direction) {
    var all = cells().filter(function (c) { return !c.disabled; });
    var index = all.indexOf(cell);
    var target = null;
    if (direction === "left") target = all[index - 1];
    else if (direction === "right") target = all[index + 1];
    else {
      var td = cell.closest("td"), tr = td.closest("tr");
      var column = Array.prototype.indexOf.call(tr.children, td);
      var row = direction === "down" ? tr.nextElementSibling : tr.previousElementSibling;
      while (row && !target) {
        var candidate = row.children[column] && row.children[column].querySelector(".hc-cell:not(:disabled)");
        if (candidate) target = candidate;
        row = direction === "down" ? row.nextElementSibling : row.previousElementSibling;
      }
      if (!target) target = all[index + (direction === "down" ? 1 : -1)];
    }
    if (target) { target.focus(); if (target.select) target.select(); }
    return !!target;
  }
  grid.addEventListener("keydown", function (event) {
    var cell = event.target.closest(".hc-cell");
    if (!cell || event.altKey || event.ctrlKey || event.metaKey) return;
    var isText = cell.tagName === "INPUT";
    var key = event.key;
    if (key === "Enter" && cell.tagName !== "TEXTAREA") {
      event.preventDefault();
      move(cell, event.shiftKey ? "up" : "down");
    } else if ((key === "ArrowDown" || key === "ArrowUp") && cell.tagName !== "SELECT" && cell.tagName !== "TEXTAREA") {
      event.preventDefault();
      move(cell, key === "ArrowDown" ? "down" : "up");
    } else if (isText && (key === "ArrowLeft" || key === "ArrowRight")) {
      var atStart = cell.selectionStart === 0 && cell.selectionEnd === 0;
      var atEnd = cell.selectionStart === cell.value.length && cell.selectionEnd === cell.value.length;
      if ((key === "ArrowLeft" && atStart) || (key === "ArrowRight" && atEnd)) {
        event.preventDefault();
        move(cell, key === "ArrowLeft" ? "left" : "right");
      }
    }
  });

  // --- read-only state after submit / reopen ------------------------------------------------------
  function applyReadonly() {
    var status = document.querySelector("#hc-report .hc-status");
    var readonly = status && status.dataset.readonly === "1";
    root.classList.toggle("hc-readonly", readonly);
    cells().forEach(function (c) {
      if (c.dataset.locked === "1") return;  // computed by a module: never editable
      if (c.tagName === "SELECT") c.disabled = readonly; else c.readOnly = readonly;
    });
  }

  // --- report actions: submit, check, reopen ------------------------------------------------------
  function post(url, extra) {
    var form = new FormData();
    form.append("ds", config.ds); form.append("ou", config.ou); form.append("pe", config.pe);
    Object.keys(extra || {}).forEach(function (k) { form.append(k, extra[k]); });
    return fetch(url, { method: "POST", credentials: "same-origin", body: form,
                        headers: { "X-CSRFToken": config.csrf } });
  }
  function whenFlushed(callback) {
    var started = Date.now();
    (function wait() {
      var waiting = queue.filter(function (i) { return !i.conflict; }).length;
      if (!waiting) return callback(true);
      if (Date.now() - started > 10000) return callback(false);
      retryNow();
      setTimeout(wait, 200);
    })();
  }
  root.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action]");
    if (!button) return;
    var action = button.dataset.action;
    if (action === "submit" || action === "validate" || action === "reopen") {
      var extra = {};
      if (action === "reopen") extra.reason = (document.getElementById("hc-reopen-reason") || {}).value || "";
      button.disabled = true;
      whenFlushed(function (flushed) {
        if (!flushed && action === "submit") { button.disabled = false; alert(T.flush_first); return; }
        post(config.urls[action], extra).then(function (r) { return r.text(); }).then(function (html) {
          document.getElementById("hc-report").innerHTML = html;
          applyReadonly();
        }).catch(function () { button.disabled = false; });
      });
    } else if (action === "details") {
      openPanel(lastCell);
    } else if (action === "close-panel") {
      panel.hidden = true;
    } else if (action === "save-comment") {
      var cell = cellOf(panelBody.firstElementChild.dataset.de, panelBody.firstElementChild.dataset.coc);
      if (cell) enqueue(cell, { comment: document.getElementById("hc-comment").value });
      whenFlushed(function () { openPanel(cell); });
    }
  });

  function openPanel(cell) {
    if (!cell) { alert(T.pick_cell); return; }
    lastCell = cell;
    var params = new URLSearchParams({ ds: config.ds, ou: config.ou, pe: config.pe,
                                       de: cell.dataset.de, coc: cell.dataset.coc });
    fetch(config.urls.cell + "?" + params, { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) { panelBody.innerHTML = html; panel.hidden = false; });
  }
  grid.addEventListener("dblclick", function (event) {
    var cell = event.target.closest(".hc-cell");
    if (cell) openPanel(cell);
  });

  // --- start: show what is still queued from an earlier visit, then send it -----------------------
  queue.forEach(function (item) {
    item.inflight = false;
    var cell = cellOf(item.de, item.coc);
    if (!cell) return;
    cell.value = item.value;
    if (item.conflict) showConflict(item, cell); else setState(cell, "queued");
  });
  persist();
  recomputeTotals();
  pump();
})();
