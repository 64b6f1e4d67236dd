// imr serve: small enhancements over pages that work without script.
"use strict";

// Whether a cell is a number ("12", "0.35", "27%", "1,234"): a date ("2017-01-27") or a month
// ("2016-12") is text, which its ISO form sorts right as.
function isNumberCell(s) {
  return /^[-+]?\d[\d,]*(\.\d+)?%?$/.test(s);
}

// Sortable tables: a click on a column heading sorts the shown rows by it.
function sortable(table) {
  const heads = Array.from(table.tHead.rows[0].cells);
  heads.forEach((th, col) => {
    th.addEventListener("click", (e) => {
      // A link in the heading orders every match on the server instead.
      if (e.target.closest("a")) return;
      const asc = th.dataset.sorted !== "asc";
      heads.forEach((h) => delete h.dataset.sorted);
      th.dataset.sorted = asc ? "asc" : "desc";
      const body = table.tBodies[0];
      const rows = Array.from(body.rows);
      const key = (r) => r.cells[col].textContent.trim();
      const num = rows.every((r) => key(r) === "" || key(r) === "-" || isNumberCell(key(r)));
      rows.sort((a, b) => {
        let x = key(a), y = key(b);
        const n = (s) => parseFloat(s.replace(/,/g, "")) || 0;
        let c = num ? n(x) - n(y) : x.localeCompare(y);
        return asc ? c : -c;
      });
      rows.forEach((r) => body.appendChild(r));
    });
  });
}

// Highlighted words: a tip saying towards what, beside the pointer.
function tips() {
  let tip = null;
  document.querySelectorAll("mark.hl[data-toward]").forEach((m) => {
    m.addEventListener("mouseenter", (e) => {
      tip = document.createElement("div");
      tip.id = "hl-tip";
      tip.textContent = m.title;
      document.body.appendChild(tip);
      tip.style.left = e.clientX + 12 + "px";
      tip.style.top = e.clientY + 12 + "px";
    });
    m.addEventListener("mouseleave", () => {
      if (tip) tip.remove();
      tip = null;
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table.sortable").forEach(sortable);
  tips();
});
