// The route sheet's "Print" button (no inline script: the pages' CSP forbids it).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
