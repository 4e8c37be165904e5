// Progressive enhancement only: every page works without this file.
// With JavaScript the header's menu collapses behind its button on small screens;
// without it (no "js" class) caselog.css shows the menu as a plain list.
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".thread-toggles").forEach((group) => {
    group.hidden = false;
    group.addEventListener("click", (event) => {
      const button = event.target.closest("[data-thread-toggle]");
      if (!button) return;
      const open = button.dataset.threadToggle === "open";
      document.querySelectorAll("details.message").forEach((item) => { item.open = open; });
    });
  });
});
