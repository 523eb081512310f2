// Tree toggles: the first click loads the children with HTMX (hx-trigger="click once");
// later clicks only show or hide what was loaded.
document.addEventListener("click", function (event) {
  const button = event.target.closest("button.hc-toggle");
  if (!button) return;
  const box = button.parentElement.querySelector(":scope > .hc-children");
  const open = button.getAttribute("aria-expanded") === "true";
  if (button.dataset.loaded) box.classList.toggle("d-none", open);
  button.dataset.loaded = "1";
  button.setAttribute("aria-expanded", open ? "false" : "true");
  button.textContent = open ? "▸" : "▾";
});
