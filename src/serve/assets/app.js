// imr serve: small enhancements over pages that work without script.
"use strict";

// Whether a cell is a number ("12", "0.35", "27%", "1,234") or a range of them ("1%–15%",
// sorted by its start): a date ("2017-01-27") or a month ("2016-12") is text, which its ISO form
// sorts right as.
function isNumberCell(s) {
  return /^[-+]?\d[\d,]*(\.\d+)?%?(\s*–\s*\d[\d,]*(\.\d+)?%?)?$/.test(s);
}

// Sortable tables: a click on a column heading sorts the shown rows by it.
function sortable(table) {
  const heads = Array.from(table.tHead.rows[0].cells);
  heads.forEach((th, col) => {
    // Reached and used by keyboard too: Tab to the heading, Enter or Space sorts.
    th.tabIndex = 0;
    th.setAttribute("aria-sort", "none");
    th.addEventListener("keydown", (e) => {
      if ((e.key === "Enter" || e.key === " ") && !e.target.closest("a")) {
        e.preventDefault();
        th.click();
      }
    });
    th.addEventListener("click", (e) => {
      // A link in the heading orders every match on the server instead.
      if (e.target.closest("a")) return;
      const asc = th.dataset.sorted !== "asc";
      heads.forEach((h) => {
        delete h.dataset.sorted;
        h.setAttribute("aria-sort", "none");
      });
      th.dataset.sorted = asc ? "asc" : "desc";
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
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

// Highlighted words: a tip saying towards what, beside the pointer, or below the word when it is
// reached by keyboard.
function tips() {
  let tip = null;
  const show = (m, x, y) => {
    hide();
    tip = document.createElement("div");
    tip.id = "hl-tip";
    tip.textContent = m.title;
    document.body.appendChild(tip);
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  };
  const hide = () => {
    if (tip) tip.remove();
    tip = null;
  };
  document.querySelectorAll("mark.hl[data-toward]").forEach((m) => {
    m.tabIndex = 0;
    m.addEventListener("mouseenter", (e) => show(m, e.clientX + 12, e.clientY + 12));
    m.addEventListener("mouseleave", hide);
    m.addEventListener("focus", () => {
      const r = m.getBoundingClientRect();
      show(m, r.left, r.bottom + 4);
    });
    m.addEventListener("blur", hide);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table.sortable").forEach(sortable);
  tips();
});
